//! An ordered set kept as a few sorted runs plus a B-tree.
//!
//! The router's sets are filled almost in order: an agent's longest-idle
//! key is the time it became free, a waiting call's key is its arrival time
//! less a fixed boost per priority, so the calls of one priority arrive in
//! key order. A B-tree pays a logarithmic descent (and node rebalancing) for
//! every insert and every removal all the same. Here an entry larger than
//! the last entry of one of a few runs is appended to that run (a
//! `VecDeque`, one store), and only the entries that fit no run go to a
//! B-tree. The smallest entry is the smallest of at most [`MAX_RUNS`] run
//! fronts and the B-tree's first.
//!
//! Removal from a run marks the entry dead (found by binary search, or at
//! once when it is the front, the common case: the router takes the best
//! entry); dead entries at either end of a run are dropped at once, and a
//! run is compacted when more than half of it is dead, so memory stays
//! within twice the live entries (plus [`COMPACT_MIN`] per run).
//!
//! Every operation is at most logarithmic in the set's size; appends and
//! removals at the front are constant time.

use std::collections::btree_set;
use std::collections::{BTreeSet, VecDeque};
use std::ops::Bound;

/// The most sorted runs per set; entries that fit none go to the B-tree.
pub(crate) const MAX_RUNS: usize = 4;
/// Dead entries a run may hold before compaction is considered.
pub(crate) const COMPACT_MIN: usize = 32;

#[derive(Clone, Debug)]
struct Run<E> {
    /// Strictly increasing, live or dead.
    entries: VecDeque<E>,
    /// Which entries are dead, from the first removal from the middle of
    /// the run on. Kept apart from the entries, so that these sit at their
    /// own size in the run's buffer (a flag beside each pads an agent or a
    /// call entry from 48 to 56 bytes, and taking the head reads the next
    /// entries' cache lines), and off the heap until needed, so a run whose
    /// entries only ever leave at the front never touches it.
    dead: Option<Box<Dead>>,
}

/// The dead entries of a [`Run`].
#[derive(Clone, Debug, Default)]
struct Dead {
    /// Per entry of the run, at the same index: whether it is dead.
    flags: VecDeque<bool>,
    /// How many are.
    count: usize,
}

impl<E> Default for Run<E> {
    fn default() -> Self {
        Run {
            entries: VecDeque::new(),
            dead: None,
        }
    }
}

impl<E: Ord + Copy> Run<E> {
    fn dead_count(&self) -> usize {
        self.dead.as_ref().map_or(0, |d| d.count)
    }

    fn is_dead(&self, i: usize) -> bool {
        self.dead
            .as_ref()
            .is_some_and(|d| d.count > 0 && d.flags.get(i).is_some_and(|f| *f))
    }

    fn push_back(&mut self, e: E) {
        self.entries.push_back(e);
        if let Some(d) = &mut self.dead {
            d.flags.push_back(false);
        }
    }

    fn pop_front(&mut self) {
        self.entries.pop_front();
        if let Some(d) = &mut self.dead {
            d.flags.pop_front();
        }
    }

    /// Drops dead entries at both ends, compacts when mostly dead.
    fn tidy(&mut self) {
        let Some(d) = &mut self.dead else {
            return;
        };
        while d.flags.front().is_some_and(|f| *f) {
            d.flags.pop_front();
            self.entries.pop_front();
            d.count -= 1;
        }
        while d.flags.back().is_some_and(|f| *f) {
            d.flags.pop_back();
            self.entries.pop_back();
            d.count -= 1;
        }
        if d.count > COMPACT_MIN && d.count * 2 > self.entries.len() {
            let mut flags = d.flags.iter();
            self.entries.retain(|_| flags.next().is_some_and(|f| !f));
            d.flags.clear();
            d.flags.resize(self.entries.len(), false);
            d.count = 0;
        }
    }

    /// Marks `e` dead if it is live here.
    fn remove(&mut self, e: &E) -> bool {
        let index = match self.entries.front() {
            Some(front) if front == e => Some(0),
            Some(front) if front < e && self.entries.back().is_some_and(|b| b >= e) => {
                self.entries.binary_search(e).ok()
            }
            _ => None,
        };
        let Some(i) = index else {
            return false;
        };
        let len = self.entries.len();
        let d = self.dead.get_or_insert_with(|| {
            Box::new(Dead {
                flags: std::iter::repeat_n(false, len).collect(),
                count: 0,
            })
        });
        let Some(flag) = d.flags.get_mut(i) else {
            return false;
        };
        if *flag {
            return false;
        }
        *flag = true;
        d.count += 1;
        self.tidy();
        true
    }
}

/// An ordered set of small `Copy` entries; see the [module docs](self).
#[derive(Clone, Debug)]
#[repr(C)]
pub(crate) struct RunSet<E> {
    /// The smallest entry and where it is (a run index, or [`MAX_RUNS`]
    /// for the B-tree), kept up to date so reading and taking it are
    /// constant time. First in the struct: a look at the head reads one
    /// cache line.
    head: Option<(E, usize)>,
    len: usize,
    runs: [Run<E>; MAX_RUNS],
    rest: BTreeSet<E>,
}

impl<E> Default for RunSet<E> {
    fn default() -> Self {
        RunSet {
            runs: Default::default(),
            rest: BTreeSet::new(),
            len: 0,
            head: None,
        }
    }
}

impl<E: Ord + Copy> RunSet<E> {
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Entries stored, live or dead (for tests of the memory bound).
    #[cfg(test)]
    pub(crate) fn stored(&self) -> usize {
        self.runs.iter().map(|r| r.entries.len()).sum::<usize>() + self.rest.len()
    }

    /// Inserts an entry that is not in the set (the router never inserts
    /// an entry twice; debug builds check).
    pub(crate) fn insert(&mut self, e: E) {
        debug_assert!(!self.contains(&e), "entry inserted twice");
        // The run whose last entry is the largest one below `e`, so runs
        // stay tight; an empty run takes anything.
        let mut best: Option<(usize, Option<E>)> = None;
        for (i, run) in self.runs.iter().enumerate() {
            let back = run.entries.back().copied();
            match back {
                Some(b) if b < e => {
                    if best.is_none_or(|(_, bb)| bb.is_none_or(|bb| bb < b)) {
                        best = Some((i, Some(b)));
                    }
                }
                Some(_) => {}
                None => {
                    if best.is_none() {
                        best = Some((i, None));
                    }
                }
            }
        }
        let source = match best.and_then(|(i, _)| Some(i).zip(self.runs.get_mut(i))) {
            Some((i, run)) => {
                run.push_back(e);
                i
            }
            None => {
                self.rest.insert(e);
                MAX_RUNS
            }
        };
        self.len += 1;
        if self.head.is_none_or(|(h, _)| e < h) {
            self.head = Some((e, source));
        }
    }

    /// Removes an entry; false if it was not in the set.
    pub(crate) fn remove(&mut self, e: &E) -> bool {
        if self.head.is_some_and(|(h, _)| h == *e) {
            return self.pop_first().is_some();
        }
        let removed = self.runs.iter_mut().any(|run| run.remove(e)) || self.rest.remove(e);
        if removed {
            self.len -= 1;
        }
        removed
    }

    /// Removes and returns the smallest entry.
    pub(crate) fn pop_first(&mut self) -> Option<E> {
        let (e, source) = self.head?;
        match self.runs.get_mut(source) {
            Some(run) => {
                run.pop_front();
                if run.dead_count() > 0 {
                    run.tidy();
                }
            }
            None => {
                self.rest.pop_first();
            }
        }
        self.len -= 1;
        self.find_head();
        Some(e)
    }

    /// Removes the smallest entries while `take` accepts them, handing each
    /// to `taken`; the first entry refused stays. Returns how many left.
    ///
    /// Cheaper per entry than [`RunSet::pop_first`] in a loop: while the
    /// head comes from one run, the next head is that run's next entry if
    /// it is below the smallest entry of the other runs and the B-tree, so
    /// those are looked at once per run visited, not once per entry.
    /// `take` and `taken` must not panic: the cached head is brought up to
    /// date after each run's batch, not after each entry.
    pub(crate) fn pop_first_while(
        &mut self,
        mut take: impl FnMut(&E) -> bool,
        mut taken: impl FnMut(&E),
    ) -> usize {
        let mut count = 0;
        while let Some((head, source)) = self.head {
            if !take(&head) {
                break;
            }
            if source >= MAX_RUNS {
                self.rest.pop_first();
                self.len -= 1;
                count += 1;
                taken(&head);
                self.find_head();
                continue;
            }
            // The head stays in this run while below `others`.
            let others = self
                .runs
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != source)
                .filter_map(|(_, r)| r.entries.front())
                .chain(self.rest.first())
                .min()
                .copied();
            let Some(run) = self.runs.get_mut(source) else {
                break;
            };
            let mut e = head;
            let refused = loop {
                taken(&e);
                run.pop_front();
                if run.dead_count() > 0 {
                    run.tidy();
                }
                self.len -= 1;
                count += 1;
                match run.entries.front().copied() {
                    Some(next) if others.is_none_or(|o| next < o) => {
                        if !take(&next) {
                            break true;
                        }
                        e = next;
                    }
                    _ => break false,
                }
            };
            self.find_head();
            if refused {
                break;
            }
        }
        count
    }

    /// Recomputes `head`. Run fronts are always live (see `Run::tidy`).
    fn find_head(&mut self) {
        let mut best = self.rest.first().map(|e| (e, MAX_RUNS));
        for (i, run) in self.runs.iter().enumerate() {
            if let Some(front) = run.entries.front()
                && best.is_none_or(|(b, _)| front < b)
            {
                best = Some((front, i));
            }
        }
        self.head = best.map(|(e, i)| (*e, i));
    }

    pub(crate) fn contains(&self, e: &E) -> bool {
        self.rest.contains(e)
            || self
                .runs
                .iter()
                .any(|run| run.entries.binary_search(e).is_ok_and(|i| !run.is_dead(i)))
    }

    /// The smallest entry.
    pub(crate) fn first(&self) -> Option<E> {
        self.head.map(|(e, _)| e)
    }

    /// Every entry in order.
    pub(crate) fn iter(&self) -> Iter<'_, E> {
        self.range((Bound::Unbounded, Bound::Unbounded))
    }

    /// The entries within `bounds` (the upper bound exclusive or unbounded)
    /// in order.
    pub(crate) fn range(&self, bounds: (Bound<E>, Bound<E>)) -> Iter<'_, E> {
        let (lower, upper) = bounds;
        let mut pos = [0; MAX_RUNS];
        for (p, run) in pos.iter_mut().zip(&self.runs) {
            *p = match lower {
                Bound::Unbounded => 0,
                Bound::Included(l) => run.entries.partition_point(|x| *x < l),
                Bound::Excluded(l) => run.entries.partition_point(|x| *x <= l),
            };
        }
        Iter {
            set: self,
            pos,
            rest: self.rest.range((lower, Bound::Unbounded)).peekable(),
            upper,
        }
    }

    /// Removes and returns every entry, in order.
    pub(crate) fn take_all(&mut self) -> Vec<E> {
        let all: Vec<E> = self.iter().collect();
        *self = RunSet::default();
        all
    }
}

/// The entries of a [`RunSet`] in order: a merge of its runs and B-tree.
#[derive(Debug)]
pub(crate) struct Iter<'a, E> {
    set: &'a RunSet<E>,
    /// Next index in each run.
    pos: [usize; MAX_RUNS],
    rest: std::iter::Peekable<btree_set::Range<'a, E>>,
    upper: Bound<E>,
}

impl<E: Ord + Copy> Iterator for Iter<'_, E> {
    type Item = E;

    fn next(&mut self) -> Option<E> {
        // (source, entry): source MAX_RUNS is the B-tree.
        let mut best: Option<(usize, E)> = None;
        for (i, (run, p)) in self.set.runs.iter().zip(self.pos.iter_mut()).enumerate() {
            while run.is_dead(*p) {
                *p += 1;
            }
            if let Some(e) = run.entries.get(*p)
                && best.is_none_or(|(_, b)| *e < b)
            {
                best = Some((i, *e));
            }
        }
        if let Some(e) = self.rest.peek()
            && best.is_none_or(|(_, b)| **e < b)
        {
            best = Some((MAX_RUNS, **e));
        }
        let (source, e) = best?;
        let within = match self.upper {
            Bound::Unbounded => true,
            Bound::Included(u) => e <= u,
            Bound::Excluded(u) => e < u,
        };
        if !within {
            return None;
        }
        match self.pos.get_mut(source) {
            Some(p) => *p += 1,
            None => {
                self.rest.next();
            }
        }
        Some(e)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::ops::Bound;

    use super::{COMPACT_MIN, RunSet};

    /// The set's own bookkeeping agrees with itself and with `model`: runs
    /// strictly increasing, dead flags beside the entries and counted, no
    /// dead entry at a run's end, the length, and the cached head.
    fn assert_consistent(set: &RunSet<u64>, model: &BTreeSet<u64>) {
        let mut live = set.rest.len();
        for run in &set.runs {
            assert!(
                run.entries
                    .iter()
                    .zip(run.entries.iter().skip(1))
                    .all(|(a, b)| a < b)
            );
            if let Some(d) = &run.dead {
                assert_eq!(d.flags.len(), run.entries.len());
                assert_eq!(d.flags.iter().filter(|f| **f).count(), d.count);
                assert!(d.flags.front().is_none_or(|f| !f) && d.flags.back().is_none_or(|f| !f));
            }
            live += (0..run.entries.len()).filter(|i| !run.is_dead(*i)).count();
        }
        assert_eq!((set.len(), live), (model.len(), model.len()));
        assert_eq!(set.first(), model.first().copied());
        if let Some((head, source)) = set.head {
            let at_source = match set.runs.get(source) {
                Some(run) => run.entries.front(),
                None => set.rest.first(),
            };
            assert_eq!(at_source, Some(&head));
        }
    }

    /// Random operations against a `BTreeSet`.
    #[test]
    fn behaves_like_a_btreeset() {
        let mut state = 7_u64;
        let mut next = move |n: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            (state >> 33) % n
        };
        for round in 0..200 {
            let mut ours: RunSet<u64> = RunSet::default();
            let mut model = BTreeSet::new();
            let mut clock = 0;
            for _ in 0..500 {
                match next(6) {
                    // Mostly increasing inserts, some older ones.
                    0..=2 => {
                        clock += next(3);
                        let e = if next(4) == 0 {
                            clock.saturating_sub(next(50))
                        } else {
                            clock + 1000 * next(3)
                        };
                        if model.insert(e) {
                            ours.insert(e);
                        }
                    }
                    3 if next(2) == 0 => {
                        let first = model.first().copied();
                        assert_eq!(ours.first(), first);
                        if let Some(f) = first {
                            assert!(ours.remove(&f));
                            model.remove(&f);
                        }
                    }
                    3 => {
                        // Take heads as the router drops a pile of stale
                        // entries: while below a bound, or while a test
                        // that is not monotone in the key accepts them.
                        let bound = model.first().map_or(0, |f| f + next(20));
                        let modulus = 2 + next(5);
                        let by_bound = next(2) == 0;
                        let accept = |e: &u64| {
                            if by_bound {
                                *e < bound
                            } else {
                                !e.wrapping_mul(0x9E37_79B9).is_multiple_of(modulus)
                            }
                        };
                        let mut asked = Vec::new();
                        let mut taken = Vec::new();
                        let count = ours.pop_first_while(
                            |e| {
                                asked.push(*e);
                                accept(e)
                            },
                            |e| taken.push(*e),
                        );
                        let want: Vec<u64> = model.iter().copied().take_while(accept).collect();
                        assert_eq!(taken, want, "round {round}");
                        assert_eq!(count, want.len());
                        // Each entry asked once, in order, up to the first
                        // refused one.
                        let asked_want: Vec<u64> =
                            model.iter().copied().take(asked.len()).collect();
                        assert_eq!(asked, asked_want, "round {round}");
                        assert!(asked.len() <= want.len() + 1);
                        for e in want {
                            model.remove(&e);
                        }
                    }
                    4 => {
                        let e = next(clock + 3000);
                        assert_eq!(ours.remove(&e), model.remove(&e), "round {round}");
                    }
                    _ => {
                        let l = next(clock + 3000);
                        let u = l + 1 + next(2000);
                        let got: Vec<u64> = ours
                            .range((Bound::Excluded(l), Bound::Excluded(u)))
                            .collect();
                        let want: Vec<u64> = model
                            .range((Bound::Excluded(l), Bound::Excluded(u)))
                            .copied()
                            .collect();
                        assert_eq!(got, want);
                    }
                }
                assert_consistent(&ours, &model);
            }
            let all: Vec<u64> = ours.iter().collect();
            assert_eq!(all, model.iter().copied().collect::<Vec<_>>());
            assert_eq!(ours.take_all(), all);
            assert!(ours.is_empty());
        }
    }

    /// Taking heads in a batch follows the order across runs and the
    /// B-tree, and leaves the first refused entry in place.
    #[test]
    fn pops_heads_in_order_across_runs_and_the_btree() {
        let mut set: RunSet<u32> = RunSet::default();
        let mut model = BTreeSet::new();
        // One long run, then descending entries that each open a run until
        // all four are taken and then go to the B-tree, and some dead
        // entries in the middle of the long run.
        for e in (100..200).chain((10..100).rev().step_by(7)).chain(1..6) {
            set.insert(e * 3);
            model.insert(e * 3);
        }
        for e in [330, 336, 390] {
            assert!(set.remove(&e));
            model.remove(&e);
        }
        let mut taken = Vec::new();
        let count = set.pop_first_while(|e| *e < 400, |e| taken.push(*e));
        let want: Vec<u32> = model.iter().copied().filter(|e| *e < 400).collect();
        assert_eq!(taken, want);
        assert_eq!(count, want.len());
        assert_eq!(set.first(), Some(402));
        assert_eq!(set.len(), model.len() - want.len());
        // A refusal at once takes nothing.
        assert_eq!(set.pop_first_while(|_| false, |_| {}), 0);
        assert_eq!(set.first(), Some(402));
        // Everything, then an empty set.
        let rest = set.pop_first_while(|_| true, |_| {});
        assert_eq!(rest, model.len() - want.len());
        assert!(set.is_empty() && set.first().is_none());
    }

    #[test]
    fn dead_entries_stay_bounded() {
        let mut set: RunSet<u32> = RunSet::default();
        // One entry stays at the front forever while others come and go
        // behind it (removed from the middle, never at the front).
        set.insert(0);
        set.insert(1);
        for i in 2..100_000 {
            set.insert(i);
            assert!(set.remove(&(i - 1)));
        }
        let stored: usize = set.runs.iter().map(|r| r.entries.len()).sum();
        assert!(
            stored <= 2 * set.len() + 2 * COMPACT_MIN + 2,
            "{stored} stored"
        );
        assert_eq!(set.first(), Some(0));
    }
}
