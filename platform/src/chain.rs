//! Chain continuity per terminal: gaps, forks and breaks, as findings the merchant sees.
//!
//! Every record carries its counter and the chain value of the record before it
//! (`ereceipt_core::record::ChainValue`). When a receipt is stored, inside the same transaction
//! and under the terminal's lock, it is compared with its neighbours:
//!
//! - **fork**: another receipt of the terminal claims the same counter or the same previous
//!   link (a cloned terminal, or a chain state restored from a backup);
//! - **gap**: the receipt at counter − 1 is missing. Receipts may arrive out of order (an
//!   outbox flushing after a crash, several connections), so a gap is resolved as soon as the
//!   missing receipt arrives: only gaps that stay open mean a lost receipt;
//! - **chain_break**: the neighbour exists but the links do not match (the first receipt of a
//!   terminal must chain to its genesis value).
//!
//! The end of a chain cannot be checked: a terminal's newest receipt may simply not have been
//! uploaded yet.

use crate::db::Tx;
use crate::db::receipts::{self, ChainKey};

/// The link a stored receipt adds to its terminal's chain.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Link<'a> {
    /// Which chain and receipt.
    pub(crate) key: ChainKey<'a>,
    /// The receipt's counter.
    pub(crate) counter: i64,
    /// The chain value it says came before it (hex).
    pub(crate) previous: &'a str,
    /// Its own chain value (hex): what the next receipt must name as previous.
    pub(crate) value: &'a str,
    /// The terminal's genesis value (hex).
    pub(crate) genesis: &'a str,
}

/// Records the findings a newly stored receipt reveals and resolves the gap it closes.
pub(crate) async fn check(tx: &mut Tx, link: &Link<'_>, now: i64) -> Result<(), sqlx::Error> {
    let key = &link.key;
    let near = receipts::neighbours(tx, key, link.counter, link.previous).await?;
    let at = |counter: i64| near.iter().filter(move |n| n.counter == counter);
    for rival in near
        .iter()
        .filter(|n| n.counter == link.counter || n.previous == link.previous)
    {
        let detail = format!(
            "receipt {} claims the same counter or the same previous link",
            rival.receipt_id
        );
        receipts::add_finding(tx, key, "fork", link.counter, &detail, now).await?;
    }
    if link.counter == 1 {
        if link.previous != link.genesis {
            let detail = "the first receipt does not chain to the terminal's genesis value";
            receipts::add_finding(tx, key, "chain_break", 1, detail, now).await?;
        }
    } else if at(link.counter - 1).next().is_none() {
        let detail = format!("no receipt with counter {} has arrived", link.counter - 1);
        receipts::add_finding(tx, key, "gap", link.counter - 1, &detail, now).await?;
    } else if !at(link.counter - 1).any(|b| b.content_hash == link.previous) {
        let detail = "the previous link does not match the receipt before";
        receipts::add_finding(tx, key, "chain_break", link.counter, detail, now).await?;
    }
    if at(link.counter + 1).next().is_some() {
        receipts::resolve_gap(tx, key, link.counter, now).await?;
    }
    for next in at(link.counter + 1).filter(|n| n.previous != link.value) {
        let next_key = ChainKey {
            receipt_id: &next.receipt_id,
            ..*key
        };
        let detail = "the previous link does not match the receipt before";
        receipts::add_finding(tx, &next_key, "chain_break", link.counter + 1, detail, now).await?;
    }
    Ok(())
}
