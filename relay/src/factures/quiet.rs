//! One low-priority thread for the documents made off every request's path (the transmission's
//! sender renders each facture it sends): at nice 19 it takes only the CPU that webhooks,
//! downloads and status reads leave, so that a backlog of documents to send never slows a
//! payment.

use std::sync::OnceLock;
use std::sync::mpsc;

type Job = Box<dyn FnOnce() + Send>;

fn queue() -> &'static mpsc::Sender<Job> {
    static QUEUE: OnceLock<mpsc::Sender<Job>> = OnceLock::new();
    QUEUE.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("quiet-render".into())
            .spawn(move || {
                // On Linux a thread has its own nice value: this one yields to all others.
                // SAFETY: setpriority only reads its integer arguments.
                unsafe {
                    libc::setpriority(libc::PRIO_PROCESS, 0, 19);
                }
                for job in rx {
                    // A panicking job drops its answer (its caller sees `Panicked`); the
                    // thread stays for the next one.
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                }
            })
            .expect("a thread");
        tx
    })
}

/// The work panicked.
#[derive(Debug)]
pub struct Panicked;

/// Runs `work` on the low-priority thread and waits for its result.
pub async fn run<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Panicked> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    queue()
        .send(Box::new(move || {
            let _ = tx.send(work());
        }))
        .expect("the quiet thread lives as long as the process");
    rx.await.map_err(|_| Panicked)
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn work_runs_on_a_thread_at_the_lowest_priority() {
        // SAFETY: getpriority only reads its integer arguments.
        let nice = super::run(|| unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) }).await;
        assert_eq!(nice.unwrap(), 19);
    }

    #[tokio::test]
    async fn a_panicking_job_is_reported_and_the_thread_goes_on() {
        assert!(super::run(|| panic!("boom")).await.is_err());
        assert_eq!(super::run(|| 2 + 2).await.unwrap(), 4);
    }
}
