//! Observers of state the app shows: one inspection, and the list of records with
//! their sync state. Subscribing delivers the current value at once, then every
//! change; dropping (or cancelling) the returned [`Subscription`] stops delivery.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use crate::types::{InspectionView, RecordsSnapshot};

/// Receives an inspection each time it changes (a step here, or changes from the
/// server such as a supervisor's comment). Called on the thread that made the change:
/// post to the UI thread before drawing.
#[uniffi::export(with_foreign)]
pub trait InspectionObserver: Send + Sync {
    /// The inspection as it is now.
    fn on_update(&self, inspection: InspectionView);
    /// The inspection could not be read (message in Chinese); its data is unchanged.
    fn on_error(&self, detail: String);
}

/// Receives the device's records with their sync state after every change.
#[uniffi::export(with_foreign)]
pub trait RecordsObserver: Send + Sync {
    /// Every record, latest change first, and whether a sync is under way.
    fn on_update(&self, snapshot: RecordsSnapshot);
}

/// The registered observers of one [`crate::LiuhenCore`].
#[derive(Default)]
pub(crate) struct Registry {
    next: u64,
    inspections: HashMap<u64, (String, Arc<dyn InspectionObserver>)>,
    records: HashMap<u64, Arc<dyn RecordsObserver>>,
}

impl Registry {
    pub(crate) fn add_inspection(&mut self, id: String, o: Arc<dyn InspectionObserver>) -> u64 {
        self.next += 1;
        self.inspections.insert(self.next, (id, o));
        self.next
    }

    pub(crate) fn add_records(&mut self, o: Arc<dyn RecordsObserver>) -> u64 {
        self.next += 1;
        self.records.insert(self.next, o);
        self.next
    }

    fn remove(&mut self, key: u64) {
        self.inspections.remove(&key);
        self.records.remove(&key);
    }

    /// Observers of the given inspections (cloned so no lock is held while calling).
    pub(crate) fn inspection_observers(
        &self,
        ids: &[String],
    ) -> Vec<(String, Arc<dyn InspectionObserver>)> {
        self.inspections
            .values()
            .filter(|(id, _)| ids.contains(id))
            .map(|(id, o)| (id.clone(), o.clone()))
            .collect()
    }

    /// Every records observer.
    pub(crate) fn records_observers(&self) -> Vec<Arc<dyn RecordsObserver>> {
        self.records.values().cloned().collect()
    }

    /// Whether anything observes the records list or any of these inspections.
    pub(crate) fn is_watching(&self, ids: &[String]) -> bool {
        !self.records.is_empty() || self.inspections.values().any(|(id, _)| ids.contains(id))
    }
}

/// A live subscription; delivery stops when it is cancelled or dropped.
#[derive(uniffi::Object)]
pub struct Subscription {
    registry: Weak<Mutex<Registry>>,
    key: u64,
}

impl Subscription {
    pub(crate) fn new(registry: &Arc<Mutex<Registry>>, key: u64) -> Arc<Self> {
        Arc::new(Subscription {
            registry: Arc::downgrade(registry),
            key,
        })
    }
}

#[uniffi::export]
impl Subscription {
    /// Stops delivery (also done when the subscription is dropped).
    pub fn cancel(&self) {
        if let Some(r) = self.registry.upgrade() {
            r.lock().unwrap_or_else(|p| p.into_inner()).remove(self.key);
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.cancel();
    }
}
