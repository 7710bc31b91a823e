//! Syndrome coding ("matrix embedding"): `BITS` code bits in a host's carriers, few flips.
//!
//! Carrier `i` of a host has a fixed non-zero column value `column(i)`; the bits a host carries
//! are the XOR of the columns of its carriers that are ink. The first `BITS` columns are the
//! unit vectors, so any value can be reached, and the others are all other non-zero values in
//! a scrambled order. To embed, the encoder flips the fewest carriers whose columns XOR to the
//! difference between what the host carries and what it must carry: with the 10–40 carriers a
//! typical host has, one to three flips write 8 bits, against four on average for one bit
//! per carrier. Fewer flips mean a smaller PNG (each flip costs about 1.3 bytes).

/// Code bits per host.
pub(super) const BITS: usize = 8;

/// Mask of the code bits.
const MASK: u16 = (1 << BITS) - 1;

/// The most carriers a host uses: one per distinct non-zero column.
pub(super) const MAX_CARRIERS: usize = (1 << BITS) - 1;

/// The column of every usable carrier index, in order.
pub(super) fn columns() -> [u16; MAX_CARRIERS] {
    let mut out = [0u16; MAX_CARRIERS];
    for (i, slot) in out.iter_mut().take(BITS).enumerate() {
        *slot = 1 << i;
    }
    let mut n = BITS;
    // An odd multiplier permutes 0..2^BITS; units and zero are already placed or unused.
    for k in 0..=MASK {
        let v = k.wrapping_mul(0x9D) & MASK;
        if v != 0 && !v.is_power_of_two() {
            out[n] = v;
            n += 1;
        }
    }
    out
}

/// The bits carried by carriers whose values are `ink` (one entry per carrier, 0 or 1).
pub(super) fn syndrome(columns: &[u16], ink: impl IntoIterator<Item = u8>) -> u16 {
    columns
        .iter()
        .zip(ink)
        .filter(|&(_, bit)| bit != 0)
        .fold(0, |acc, (&c, _)| acc ^ c)
}

/// The fewest carrier indices (among the first `count`) whose columns XOR to `target`.
/// Requires `count >= BITS` so that the unit columns are available.
pub(super) fn flips(columns: &[u16], count: usize, target: u16) -> Vec<usize> {
    let cols = &columns[..count.min(columns.len())];
    if target == 0 {
        return Vec::new();
    }
    let mut index = [usize::MAX; 1 << BITS];
    for (i, &c) in cols.iter().enumerate() {
        index[usize::from(c)] = i;
    }
    let find = |v: u16| Some(index[usize::from(v)]).filter(|&i| i != usize::MAX);
    if let Some(i) = find(target) {
        return vec![i];
    }
    for (i, &a) in cols.iter().enumerate() {
        if let Some(j) = find(target ^ a).filter(|&j| j != i) {
            return vec![i, j];
        }
    }
    for (i, &a) in cols.iter().enumerate() {
        for (j, &b) in cols.iter().enumerate().skip(i + 1) {
            if let Some(k) = find(target ^ a ^ b).filter(|&k| k != i && k != j) {
                return vec![i, j, k];
            }
        }
    }
    (0..BITS).filter(|&b| target & (1 << b) != 0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_distinct_non_zero_and_start_with_units() {
        let cols = columns();
        let mut seen = std::collections::HashSet::new();
        assert!(cols.iter().all(|&c| c != 0 && c <= MASK && seen.insert(c)));
        assert_eq!(
            cols[..BITS],
            (0..BITS).map(|b| 1 << b).collect::<Vec<u16>>()[..]
        );
    }

    #[test]
    fn flips_reach_every_target_for_every_carrier_count() {
        let cols = columns();
        for count in [BITS, BITS + 1, 12, 20, 40, MAX_CARRIERS] {
            let mut total = 0;
            for target in 0..=MASK {
                let f = flips(&cols, count, target);
                assert!(f.iter().all(|&i| i < count));
                assert_eq!(f.iter().fold(0, |a, &i| a ^ cols[i]), target);
                total += f.len();
            }
            if count >= 20 {
                assert!(total < 3 * 256, "{count}: {total} flips for 256 targets");
            }
        }
    }
}
