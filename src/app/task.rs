//! Background work for the window: one task type for every job (loading,
//! paths, instance lists, comparisons, the file dialog). A task runs on a
//! named thread with a [`Progress`], wakes the UI when it has news, and is
//! cancelled when dropped: closing a dump, moving the selection on or
//! replacing a comparison stops the work it started.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};

use crate::progress::Progress;

/// Wakes the UI thread (egui's `request_repaint`), or nothing in tests.
#[derive(Clone)]
pub struct Waker(Arc<dyn Fn() + Send + Sync>);

impl Waker {
    pub fn new(wake: impl Fn() + Send + Sync + 'static) -> Waker {
        Waker(Arc::new(wake))
    }

    /// The UI of `ctx`.
    pub fn of(ctx: &egui::Context) -> Waker {
        let ctx = ctx.clone();
        Waker::new(move || ctx.request_repaint())
    }

    pub fn wake(&self) {
        (self.0)()
    }
}

/// Sends a task's messages and wakes the UI after each.
pub struct Reporter<M> {
    tx: Sender<M>,
    waker: Waker,
}

impl<M> Reporter<M> {
    pub fn send(&self, message: M) {
        let _ = self.tx.send(message);
        self.waker.wake();
    }
}

/// Work on a background thread that reports messages of type `M`; the
/// last one ends it (a task of one result sends one message).
pub struct Task<M> {
    progress: Arc<Progress>,
    messages: Receiver<M>,
    finished: bool,
}

impl<M: Send + 'static> Task<M> {
    /// Runs `work` on the thread `heapscope-NAME`; it sends what it finds
    /// with the reporter and checks the progress for cancellation.
    pub fn spawn(
        name: &str,
        waker: Waker,
        work: impl FnOnce(&Progress, &Reporter<M>) + Send + 'static,
    ) -> Task<M> {
        let progress = Arc::new(Progress::new());
        let (tx, messages) = channel();
        let p = progress.clone();
        let reporter = Reporter { tx, waker };
        std::thread::Builder::new()
            .name(format!("heapscope-{name}"))
            .spawn(move || {
                work(&p, &reporter);
                reporter.waker.wake();
            })
            .unwrap_or_else(|e| panic!("cannot start the {name} thread: {e}"));
        Task {
            progress,
            messages,
            finished: false,
        }
    }

    /// A task of one result: `work`'s return value.
    pub fn compute(
        name: &str,
        waker: Waker,
        work: impl FnOnce(&Progress) -> M + Send + 'static,
    ) -> Task<M> {
        Task::spawn(name, waker, move |p, r| r.send(work(p)))
    }
}

impl<M> Task<M> {
    /// The next message, if one came.
    pub fn poll(&mut self) -> Option<M> {
        match self.messages.try_recv() {
            Ok(m) => Some(m),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => {
                self.finished = true;
                None
            }
        }
    }

    /// The thread ended and every message was taken.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    pub fn cancel(&self) {
        self.progress.cancel();
    }
}

impl<M> Drop for Task<M> {
    fn drop(&mut self) {
        self.progress.cancel();
    }
}

/// The result of a task for a key (an object and options, a class and an
/// order): asking for another key drops (cancels) the running task; the
/// last result stays readable while the next one computes.
pub struct Keyed<K, T> {
    running: Option<(K, Task<T>)>,
    done: Option<(K, T)>,
}

impl<K, T> Default for Keyed<K, T> {
    fn default() -> Self {
        Keyed {
            running: None,
            done: None,
        }
    }
}

impl<K: PartialEq + Clone, T: Send + 'static> Keyed<K, T> {
    /// The result for `key`, starting `start` when it is neither known nor
    /// being computed. Takes a finished result first.
    pub fn get(&mut self, key: &K, start: impl FnOnce() -> Task<T>) -> Option<&T> {
        if let Some((k, task)) = &mut self.running {
            if let Some(value) = task.poll() {
                self.done = Some((k.clone(), value));
                self.running = None;
            } else if task.is_finished() {
                self.running = None;
            }
        }
        let known = self.done.as_ref().is_some_and(|(k, _)| k == key);
        let running = self.running.as_ref().is_some_and(|(k, _)| k == key);
        if !known && !running {
            self.running = Some((key.clone(), start()));
        }
        self.done.as_ref().filter(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The last result, whatever its key (shown while the next computes).
    pub fn last(&self) -> Option<&(K, T)> {
        self.done.as_ref()
    }

    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn wait<K: PartialEq + Clone, T: Send + 'static>(
        k: &mut Keyed<K, T>,
        key: K,
        start: impl Fn() -> Task<T>,
    ) -> bool {
        let t = Instant::now();
        while k.get(&key, &start).is_none() {
            if t.elapsed() > Duration::from_secs(10) {
                return false;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        true
    }

    #[test]
    fn a_dropped_task_is_cancelled() {
        let (tx, rx) = channel();
        let task: Task<()> = Task::spawn("test", Waker::new(|| {}), move |p, _| {
            while !p.is_cancelled() {
                std::thread::sleep(Duration::from_millis(1));
            }
            tx.send("stopped").unwrap();
        });
        drop(task);
        assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Ok("stopped"));
    }

    #[test]
    fn a_new_key_replaces_the_task_and_keeps_the_last_result() {
        let mut k: Keyed<u32, u32> = Keyed::default();
        assert!(wait(&mut k, 2, || Task::compute(
            "t",
            Waker::new(|| {}),
            |_| 4
        )));
        // Another key: nothing for it yet, the last result stays.
        let slow = || {
            Task::compute("t", Waker::new(|| {}), |p| {
                while !p.is_cancelled() {
                    std::thread::sleep(Duration::from_millis(1));
                }
                0
            })
        };
        assert!(k.get(&3, slow).is_none());
        assert_eq!(k.last(), Some(&(2, 4)));
        assert!(k.is_running());
    }
}
