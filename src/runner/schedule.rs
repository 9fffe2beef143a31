//! Who may run when. Scenarios run concurrently up to `--jobs`, but never two
//! holding the same account-wide lock (`locks = ["source:GitHub"]`), a
//! `channel-quota` scenario runs alone, and the channels that scenarios may
//! create at once stay within the account's quota, so that results depend
//! neither on `--jobs` nor on what else the endpoint holds.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use tokio::sync::{
    Mutex, OwnedMutexGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard, OwnedSemaphorePermit,
    RwLock, Semaphore,
};

use crate::contract::Operation;
use crate::scenario::{Repeat, Scenario};

pub(super) struct Scheduler {
    jobs: Arc<Semaphore>,
    alone: Arc<RwLock<()>>,
    locks: HashMap<String, Arc<Mutex<()>>>,
    channels: Arc<Semaphore>,
    channel_capacity: u32,
}

/// Held while a scenario runs; dropping it lets others in.
pub(super) struct Admission {
    _alone_shared: Option<OwnedRwLockReadGuard<()>>,
    _alone_exclusive: Option<OwnedRwLockWriteGuard<()>>,
    _locks: Vec<OwnedMutexGuard<()>>,
    _channels: Option<OwnedSemaphorePermit>,
    _job: OwnedSemaphorePermit,
}

impl Scheduler {
    /// `channel_capacity`: how many channels scenarios may hold at once (the
    /// quota less what the account already holds).
    pub(super) fn new(jobs: usize, scenarios: &[Scenario], channel_capacity: usize) -> Scheduler {
        let names: BTreeSet<&String> = scenarios.iter().flat_map(|s| &s.locks).collect();
        Scheduler {
            jobs: Arc::new(Semaphore::new(jobs.max(1))),
            alone: Arc::new(RwLock::new(())),
            locks: names
                .into_iter()
                .map(|name| (name.clone(), Arc::new(Mutex::new(()))))
                .collect(),
            channels: Arc::new(Semaphore::new(channel_capacity)),
            channel_capacity: channel_capacity as u32,
        }
    }

    /// Waits until `scenario` may run. Locks are taken in one global order
    /// (run-alone, named locks sorted, channels, job slot), so no two
    /// admissions can wait on each other.
    pub(super) async fn admit(&self, scenario: &Scenario) -> Admission {
        let (alone_shared, alone_exclusive) = if scenario.runs_alone() {
            (None, Some(Arc::clone(&self.alone).write_owned().await))
        } else {
            (Some(Arc::clone(&self.alone).read_owned().await), None)
        };
        let mut names: Vec<&String> = scenario.locks.iter().collect();
        names.sort();
        names.dedup();
        let mut locks = Vec::with_capacity(names.len());
        for name in names {
            if let Some(lock) = self.locks.get(name) {
                locks.push(Arc::clone(lock).lock_owned().await);
            }
        }
        let demand = if scenario.runs_alone() {
            0
        } else {
            channel_demand(scenario).min(self.channel_capacity)
        };
        let channels = match demand {
            0 => None,
            n => Arc::clone(&self.channels).acquire_many_owned(n).await.ok(),
        };
        let job = Arc::clone(&self.jobs)
            .acquire_owned()
            .await
            .expect("the job semaphore is never closed");
        Admission {
            _alone_shared: alone_shared,
            _alone_exclusive: alone_exclusive,
            _locks: locks,
            _channels: channels,
            _job: job,
        }
    }
}

/// The most channels a scenario can hold at once: every CreateChannel copy
/// succeeding (a conforming endpoint refuses many of them, a broken one may not).
pub(super) fn channel_demand(scenario: &Scenario) -> u32 {
    scenario
        .all_steps()
        .filter(|step| step.op == Operation::CreateChannel)
        .map(|step| {
            let repeat = match &step.repeat {
                None => 1,
                Some(Repeat::Count(n)) => *n,
                Some(Repeat::Template(_)) => u32::MAX / 1024,
            };
            step.parallel.saturating_mul(repeat)
        })
        .fold(0u32, u32::saturating_add)
}
