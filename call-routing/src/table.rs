//! A slab of records addressed by a host id at the API boundary and by a
//! dense slot number inside the router.
//!
//! Every router input names its call, agent or queue by the host's id, so
//! one hash lookup per input is unavoidable. Inside a decision, though, the
//! router follows links (a call's queue, an agent's memberships, the entries
//! of the ordered sets): those links hold slot numbers, so following one is
//! an index into a vector instead of another hash lookup.
//!
//! A slot is reused after its record is removed. Links to a slot are kept
//! only while the record lives (the router removes set entries and
//! memberships with the record); timers, which outlive records, keep ids.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::{BuildHasherDefault, Hash, Hasher};

/// A hasher for small integer ids: one multiply, no per-map random state
/// (ids are chosen by the host, and the maps are bounded by the limits).
#[derive(Default, Debug, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        // Fibonacci hashing; the high bits carry the entropy hashbrown uses.
        self.0 = (self.0 ^ n)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(26);
    }
}

/// A hash map keyed by a small integer id.
pub(crate) type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// A slot number in a [`Table`].
pub(crate) type Slot = u32;

/// The hint of a record whose owner set none.
pub(crate) const NO_HINT: u32 = u32::MAX;

/// Records by id, stored densely and addressed by slot.
///
/// The ids sit in their own vector, beside the records rather than in
/// them: a record stays at its own size (an agent's 384 bytes, not 448
/// with a 4-byte id padded to its 128-byte alignment), so the records of a
/// slab span fewer cache lines and pages, and a record's first line is the
/// record's own.
#[derive(Debug)]
pub(crate) struct Table<K, V> {
    /// Id to slot, plus a 32-bit hint the owner may keep beside the slot
    /// (the router keeps a connected call's agent slot there).
    index: IdMap<K, (Slot, u32)>,
    slots: Vec<Option<V>>,
    /// The id of the record in the same slot (of its last record, if the
    /// slot is free).
    ids: Vec<K>,
    free: Vec<Slot>,
}

impl<K, V> Default for Table<K, V> {
    fn default() -> Self {
        Table {
            index: IdMap::default(),
            slots: Vec::new(),
            ids: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<K: Copy + Eq + Hash, V> Table<K, V> {
    /// Number of records.
    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    pub(crate) fn contains_key(&self, id: &K) -> bool {
        self.index.contains_key(id)
    }

    /// The slot of `id`'s record.
    pub(crate) fn slot(&self, id: &K) -> Option<Slot> {
        self.index.get(id).map(|(slot, _)| *slot)
    }

    /// The slot of `id`'s record and its hint ([`NO_HINT`] if none was set).
    pub(crate) fn slot_and_hint(&self, id: &K) -> Option<(Slot, u32)> {
        self.index.get(id).copied()
    }

    /// Sets the hint kept beside `id`'s slot.
    pub(crate) fn set_hint(&mut self, id: &K, hint: u32) {
        if let Some((_, h)) = self.index.get_mut(id) {
            *h = hint;
        }
    }

    pub(crate) fn get(&self, id: &K) -> Option<&V> {
        self.at(self.slot(id)?)
    }

    pub(crate) fn get_mut(&mut self, id: &K) -> Option<&mut V> {
        let slot = self.slot(id)?;
        self.at_mut(slot)
    }

    /// The record in `slot`.
    pub(crate) fn at(&self, slot: Slot) -> Option<&V> {
        self.slots.get(slot as usize).and_then(|s| s.as_ref())
    }

    pub(crate) fn at_mut(&mut self, slot: Slot) -> Option<&mut V> {
        self.slots.get_mut(slot as usize).and_then(|s| s.as_mut())
    }

    /// The id of the record in `slot`.
    pub(crate) fn id_at(&self, slot: Slot) -> Option<K> {
        let slot = slot as usize;
        self.slots
            .get(slot)
            .is_some_and(|s| s.is_some())
            .then(|| self.ids.get(slot).copied())
            .flatten()
    }

    /// Inserts a record, replacing any with the same id, and returns its
    /// slot (one hash probe).
    pub(crate) fn insert(&mut self, id: K, value: V) -> Slot {
        match self.index.entry(id) {
            Entry::Occupied(mut e) => {
                let slot = e.get().0;
                e.get_mut().1 = NO_HINT;
                if let Some(entry) = self.slots.get_mut(slot as usize) {
                    *entry = Some(value);
                }
                slot
            }
            Entry::Vacant(e) => {
                let slot = match self.free.pop() {
                    Some(slot) => {
                        if let Some(entry) = self.slots.get_mut(slot as usize) {
                            *entry = Some(value);
                        }
                        if let Some(entry) = self.ids.get_mut(slot as usize) {
                            *entry = id;
                        }
                        slot
                    }
                    None => {
                        let slot = Slot::try_from(self.slots.len()).unwrap_or(Slot::MAX);
                        self.slots.push(Some(value));
                        self.ids.push(id);
                        slot
                    }
                };
                e.insert((slot, NO_HINT));
                slot
            }
        }
    }

    /// Removes a record, dropping it in place (no move out of the slab).
    pub(crate) fn discard(&mut self, id: &K) {
        if let Some((slot, _)) = self.index.remove(id) {
            if let Some(entry) = self.slots.get_mut(slot as usize) {
                *entry = None;
            }
            self.free.push(slot);
        }
    }

    pub(crate) fn remove(&mut self, id: &K) -> Option<V> {
        let (slot, _) = self.index.remove(id)?;
        let value = self.slots.get_mut(slot as usize)?.take()?;
        self.free.push(slot);
        Some(value)
    }

    /// Every record with its id, in slot order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.ids
            .iter()
            .zip(&self.slots)
            .filter_map(|(k, s)| s.as_ref().map(|v| (k, v)))
    }
}

#[cfg(test)]
mod tests {
    use super::Table;

    #[test]
    fn slots_are_reused_and_ids_stay_distinct() {
        let mut t: Table<u32, &str> = Table::default();
        let a = t.insert(10, "a");
        let b = t.insert(20, "b");
        assert_ne!(a, b);
        assert_eq!(t.get(&10), Some(&"a"));
        assert_eq!(t.at(b), Some(&"b"));
        assert_eq!(t.id_at(b), Some(20));
        assert_eq!(t.remove(&10), Some("a"));
        assert_eq!(t.get(&10), None);
        assert_eq!(t.at(a), None);
        let c = t.insert(30, "c");
        assert_eq!(c, a, "the freed slot is reused");
        assert_eq!(t.id_at(c), Some(30));
        assert_eq!(t.insert(30, "c2"), c, "re-inserting an id keeps its slot");
        assert_eq!(t.len(), 2);
        let mut all: Vec<_> = t.iter().map(|(k, v)| (*k, *v)).collect();
        all.sort_unstable();
        assert_eq!(all, vec![(20, "b"), (30, "c2")]);
    }
}
