//! The block grid: which blocks are hosts, which host covers each block, and each host's code.

use super::Rect;
use super::carrier::Plane;
use super::code::{BITS, MAX_CARRIERS};
use super::key::{DOMAIN, WatermarkKey};
use ring::hmac;

/// Side of a block in pixels. It divides both paper widths (384 and 576).
pub(super) const BLOCK: usize = 24;

/// The most blocks one host may span.
pub(super) const GROUP: usize = 4;

/// The blocks of one image and how they are checked. Everything here is computed from pixels
/// that embedding never changes, so the embedder and the detector build the same layout.
pub(super) struct Layout {
    /// Blocks across.
    pub(super) cols: usize,
    /// Blocks down.
    pub(super) rows: usize,
    width: usize,
    height: usize,
    /// The blocks of each host (one block with at least [`BITS`] carriers, or up to [`GROUP`]
    /// consecutive blocks of a row that have that many together), hosts in raster order.
    pub(super) hosts: Vec<Vec<usize>>,
    /// For each host, its carriers as pixel indices in raster order (at most
    /// [`MAX_CARRIERS`]).
    pub(super) carriers: Vec<Vec<usize>>,
    /// For each host, the blocks its code covers (its own, the blocks without carriers nearest
    /// to it and the nearest other hosts' blocks), in raster order.
    pub(super) covers: Vec<Vec<usize>>,
    /// For each block, the hosts whose codes cover it (at most [`COVERAGE`]).
    pub(super) owners: Vec<Vec<usize>>,
    /// One byte per pixel: 1 where a host carrier is (masked out of the codes).
    mask: Vec<u8>,
}

impl Layout {
    /// Lays out `plane`; carriers are never taken inside `protect`.
    pub(super) fn new(plane: &Plane<'_>, protect: &[Rect]) -> Self {
        let cols = plane.width.div_ceil(BLOCK);
        let rows = plane.height.div_ceil(BLOCK);
        let mut hosts = Vec::new();
        let mut carriers = Vec::new();
        let mut mask = vec![0u8; plane.ink.len()];
        let protected = |x: usize, y: usize| {
            protect.iter().any(|r| {
                let (x, y) = (wide(x), wide(y));
                x >= u64::from(r.x)
                    && x < u64::from(r.x) + u64::from(r.w)
                    && y >= u64::from(r.y)
                    && y < u64::from(r.y) + u64::from(r.h)
            })
        };
        for by in 0..rows {
            // Consecutive blocks of a row whose candidates are too few on their own, taken
            // together (at most GROUP of them; a block without candidates ends a group).
            let mut pending: Vec<usize> = Vec::new();
            let mut found: Vec<usize> = Vec::new();
            for bx in 0..cols {
                let before = found.len();
                for y in (by * BLOCK..((by + 1) * BLOCK).min(plane.height)).step_by(2) {
                    for x in (bx * BLOCK..((bx + 1) * BLOCK).min(plane.width)).step_by(2) {
                        if found.len() < MAX_CARRIERS
                            && plane.is_candidate(x, y)
                            && !protected(x, y)
                        {
                            found.push(y * plane.width + x);
                        }
                    }
                }
                if found.len() == before || (pending.len() == GROUP && found.len() < BITS) {
                    pending.clear();
                    found.drain(..before);
                    if found.is_empty() {
                        continue;
                    }
                }
                pending.push(by * cols + bx);
                if found.len() >= BITS {
                    for &i in &found {
                        mask[i] = 1;
                    }
                    hosts.push(std::mem::take(&mut pending));
                    carriers.push(std::mem::take(&mut found));
                }
            }
        }
        let (covers, owners) = cover(cols, rows, &hosts);
        Layout {
            cols,
            rows,
            width: plane.width,
            height: plane.height,
            hosts,
            carriers,
            covers,
            owners,
            mask,
        }
    }

    /// The pixel rectangle of block `b`, clipped to the image.
    pub(super) fn block_rect(&self, b: usize) -> (usize, usize, usize, usize) {
        let (x, y) = ((b % self.cols) * BLOCK, (b / self.cols) * BLOCK);
        (x, y, BLOCK.min(self.width - x), BLOCK.min(self.height - y))
    }

    /// The code host `h` must carry: the first [`BITS`] bits of an HMAC of its position, the
    /// receipt id and the pixels of every block it covers, its own carriers masked out.
    pub(super) fn code(&self, plane: &Plane<'_>, key: &WatermarkKey, h: usize) -> u16 {
        let mut ctx = hmac::Context::with_key(key.hmac());
        ctx.update(DOMAIN);
        ctx.update(b"\0block\0");
        ctx.update(key.receipt_id());
        let host = self.hosts[h][0];
        let covers = &self.covers[h];
        // Only hosts covering the last block row bind the height: cropping the bottom off
        // then fails where the receipt now ends instead of everywhere.
        let last = covers.iter().any(|&b| b / self.cols + 1 == self.rows);
        for n in [
            self.width,
            BLOCK,
            BITS,
            host % self.cols,
            host / self.cols,
            self.hosts[h].len(),
            if last { self.height } else { 0 },
            covers.len(),
        ] {
            ctx.update(&be(n));
        }
        let mut bits = Vec::with_capacity(BLOCK * BLOCK.div_ceil(8));
        for &b in covers {
            ctx.update(&be(b % self.cols));
            ctx.update(&be(b / self.cols));
            bits.clear();
            let (x0, y0, w, h) = self.block_rect(b);
            for y in y0..y0 + h {
                let row = y * self.width;
                let (mut byte, mut k) = (0u8, 0);
                for i in row + x0..row + x0 + w {
                    if plane.ink[i] != 0 && self.mask[i] == 0 {
                        byte |= 0x80 >> k;
                    }
                    k += 1;
                    if k == 8 {
                        bits.push(byte);
                        (byte, k) = (0, 0);
                    }
                }
                if k > 0 {
                    bits.push(byte);
                }
            }
            ctx.update(&bits);
        }
        let tag = ctx.sign();
        let t = tag.as_ref();
        (u16::from(t[0]) << 8 | u16::from(t[1])) & ((1 << BITS) - 1)
    }
}

/// How many hosts cover each block.
pub(super) const COVERAGE: usize = 2;

/// Assigns every block to its [`COVERAGE`] nearest hosts by a breadth-first search over the
/// block grid from all hosts at once (hosts in raster order, neighbours up, left, right, down),
/// so that the assignment is a pure function of which blocks are hosts. A host's own blocks are
/// covered by itself and by the nearest other host. Returns each host's blocks in raster order
/// and each block's hosts.
fn cover(cols: usize, rows: usize, hosts: &[Vec<usize>]) -> (Vec<Vec<usize>>, Vec<Vec<usize>>) {
    let mut owners: Vec<Vec<usize>> = vec![Vec::with_capacity(COVERAGE); cols * rows];
    let mut queue = std::collections::VecDeque::with_capacity(COVERAGE * cols * rows);
    for (h, blocks) in hosts.iter().enumerate() {
        for &b in blocks {
            owners[b].push(h);
            queue.push_back((b, h));
        }
    }
    while let Some((b, h)) = queue.pop_front() {
        let (x, y) = (b % cols, b / cols);
        let up = y.checked_sub(1).map(|y| y * cols + x);
        let left = x.checked_sub(1).map(|x| y * cols + x);
        let right = (x + 1 < cols).then(|| y * cols + x + 1);
        let down = (y + 1 < rows).then(|| (y + 1) * cols + x);
        for n in [up, left, right, down].into_iter().flatten() {
            let list = &mut owners[n];
            if list.len() < COVERAGE && !list.contains(&h) {
                list.push(h);
                queue.push_back((n, h));
            }
        }
    }
    let mut covers = vec![Vec::new(); hosts.len()];
    for (b, list) in owners.iter().enumerate() {
        for &h in list {
            covers[h].push(b);
        }
    }
    (covers, owners)
}

/// A count as 8 big-endian bytes.
fn be(n: usize) -> [u8; 8] {
    wide(n).to_be_bytes()
}

/// A pixel count or coordinate as u64 (lossless on every supported target).
fn wide(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}
