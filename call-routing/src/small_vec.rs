//! A vector that keeps up to `N` elements inline and spills to the heap
//! beyond that.
//!
//! The router keeps an agent's queue memberships and channel capacities in
//! one; agents serve a few queues and use one or two channels, so these stay
//! in the agent's record and a routing decision reads them from the cache
//! line it already loaded, instead of following a pointer to a separate
//! allocation (a dependent cache miss per list on every decision).

use std::ops::{Deref, DerefMut};

/// Up to `N` elements inline, all of them on the heap once there are more.
///
/// The spill vector sits behind one pointer, so an inline list costs its
/// elements plus 16 bytes of the record's cache lines, not 32. The pointer
/// and the length come first (`repr(C)`): every read looks at both, so a
/// short list is read from the cache line that holds its start.
#[derive(Clone, Debug)]
#[repr(C)]
pub(crate) struct SmallVec<T: Copy + Default, const N: usize> {
    /// Every element, once more than `N` were pushed.
    spill: Option<Box<Spill<T>>>,
    /// Elements in `inline` while there is no spill.
    inline_len: u32,
    inline: [T; N],
}

/// The heap part of a [`SmallVec`]; never empty while it exists.
#[derive(Clone, Debug)]
struct Spill<T>(Vec<T>);

impl<T: Copy + Default, const N: usize> Default for SmallVec<T, N> {
    fn default() -> Self {
        SmallVec {
            inline_len: 0,
            inline: [T::default(); N],
            spill: None,
        }
    }
}

impl<T: Copy + Default, const N: usize> SmallVec<T, N> {
    /// Appends an element.
    pub(crate) fn push(&mut self, value: T) {
        if let Some(spill) = &mut self.spill {
            spill.0.push(value);
        } else if let Some(slot) = self.inline.get_mut(self.inline_len as usize) {
            *slot = value;
            self.inline_len += 1;
        } else {
            let mut heap = Vec::with_capacity(2 * N + 1);
            heap.extend_from_slice(&self.inline);
            heap.push(value);
            self.spill = Some(Box::new(Spill(heap)));
            self.inline_len = 0;
        }
    }

    /// Keeps the elements for which `keep` is true, in order.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        if let Some(spill) = &mut self.spill {
            spill.0.retain(keep);
            if spill.0.is_empty() {
                self.spill = None;
            }
            return;
        }
        let mut kept = 0;
        for i in 0..self.inline_len as usize {
            if let Some(&value) = self.inline.get(i)
                && keep(&value)
            {
                if let Some(slot) = self.inline.get_mut(kept) {
                    *slot = value;
                }
                kept += 1;
            }
        }
        self.inline_len = u32::try_from(kept).unwrap_or(u32::MAX);
    }
}

impl<T: Copy + Default, const N: usize> FromIterator<T> for SmallVec<T, N> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut v = SmallVec::default();
        for value in iter {
            v.push(value);
        }
        v
    }
}

impl<T: Copy + Default, const N: usize> Deref for SmallVec<T, N> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        match &self.spill {
            None => self.inline.get(..self.inline_len as usize).unwrap_or(&[]),
            Some(spill) => &spill.0,
        }
    }
}

impl<T: Copy + Default, const N: usize> DerefMut for SmallVec<T, N> {
    fn deref_mut(&mut self) -> &mut [T] {
        match &mut self.spill {
            None => self
                .inline
                .get_mut(..self.inline_len as usize)
                .unwrap_or(&mut []),
            Some(spill) => &mut spill.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SmallVec;

    #[test]
    fn stays_inline_then_spills_keeping_order() {
        let mut v: SmallVec<u32, 2> = SmallVec::default();
        assert!(v.is_empty());
        v.push(1);
        v.push(2);
        assert_eq!(&*v, &[1, 2]);
        assert!(v.spill.is_none());
        v.push(3);
        v.push(4);
        assert_eq!(&*v, &[1, 2, 3, 4]);
        assert!(v.spill.is_some());
        v.retain(|x| x % 2 == 0);
        assert_eq!(&*v, &[2, 4]);
        v.retain(|_| false);
        assert!(v.is_empty());
        v.push(9);
        assert_eq!(&*v, &[9]);
    }

    #[test]
    fn retain_inline_compacts_in_order() {
        let mut v: SmallVec<u8, 4> = [5, 6, 7, 8].into_iter().collect();
        v.retain(|x| *x != 6);
        assert_eq!(&*v, &[5, 7, 8]);
        for x in v.iter_mut() {
            *x += 1;
        }
        assert_eq!(&*v, &[6, 8, 9]);
        v.push(1);
        v.push(2);
        assert_eq!(&*v, &[6, 8, 9, 1, 2]);
    }
}
