//! Where the relay's log lines go: a buffer in memory that a background thread writes to stderr
//! within 10 ms, so that a request never waits on a `write` and never wakes a thread per line.
//! A writer woken for each line (tracing-appender's) cost a context switch per line on a 2-core
//! machine, under webhook load two per payment.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// How long a line may wait in memory before it is written.
const EVERY: Duration = Duration::from_millis(10);
/// A buffer this full is written at once rather than at the next tick.
const SOON: usize = 256 * 1024;
/// A buffer this full means the output is not keeping up: the line's writer waits for it.
const FULL: usize = 8 * 1024 * 1024;

struct Shared {
    lines: Mutex<Pending>,
    wake: Condvar,
}

#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    stopping: bool,
}

/// Lines to write, handed to the `fmt` layer; clones share one buffer.
#[derive(Clone)]
pub struct Batched {
    shared: Arc<Shared>,
}

/// Writes what is pending and stops the background thread when dropped: keep it alive until
/// the process exits.
pub struct FlushGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// A buffer written to `out` by a background thread.
pub fn batched<W: Write + Send + 'static>(out: W) -> (Batched, FlushGuard) {
    let shared = Arc::new(Shared {
        lines: Mutex::new(Pending::default()),
        wake: Condvar::new(),
    });
    let thread = std::thread::Builder::new()
        .name("relay-log".into())
        .spawn({
            let shared = shared.clone();
            move || write_out(&shared, out)
        })
        .expect("the log thread starts");
    let guard = FlushGuard {
        shared: shared.clone(),
        thread: Some(thread),
    };
    (Batched { shared }, guard)
}

fn write_out<W: Write>(shared: &Shared, mut out: W) {
    let mut spare = Vec::new();
    loop {
        let mut pending = shared.lines.lock().unwrap_or_else(|e| e.into_inner());
        // Idle: sleep until a line arrives. Then let more gather for a tick, unless many
        // already wait or the process is stopping.
        while pending.bytes.is_empty() && !pending.stopping {
            pending = shared.wake.wait(pending).unwrap_or_else(|e| e.into_inner());
        }
        if pending.bytes.len() < SOON && !pending.stopping {
            pending = shared
                .wake
                .wait_timeout(pending, EVERY)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        std::mem::swap(&mut pending.bytes, &mut spare);
        let stopping = pending.stopping;
        drop(pending);
        // A log that cannot be written is dropped: nothing better to do with it.
        let _ = out.write_all(&spare).and_then(|()| out.flush());
        spare.clear();
        if stopping {
            return;
        }
    }
}

impl Write for Batched {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let mut pending = self.shared.lines.lock().unwrap_or_else(|e| e.into_inner());
        while pending.bytes.len() >= FULL && !pending.stopping {
            self.shared.wake.notify_one();
            drop(pending);
            std::thread::sleep(Duration::from_millis(1));
            pending = self.shared.lines.lock().unwrap_or_else(|e| e.into_inner());
        }
        // The thread is woken by the first line after it wrote, and by a full buffer: a few
        // times per tick under load, never per line.
        let first = pending.bytes.is_empty();
        pending.bytes.extend_from_slice(line);
        if first || pending.bytes.len() >= SOON {
            self.shared.wake.notify_one();
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Batched {
    type Writer = Batched;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Drop for FlushGuard {
    fn drop(&mut self) {
        self.shared
            .lines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .stopping = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An output the test can read back.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_reach_the_output_in_order_within_a_few_milliseconds() {
        let sink = Sink::default();
        let (mut lines, _guard) = batched(sink.clone());
        for i in 0..1000 {
            lines.write_all(format!("line {i}\n").as_bytes()).unwrap();
        }
        let expected: String = (0..1000).map(|i| format!("line {i}\n")).collect();
        for _ in 0..500 {
            if sink.0.lock().unwrap().len() == expected.len() {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        assert_eq!(
            String::from_utf8(sink.0.lock().unwrap().clone()).unwrap(),
            expected
        );
    }

    #[test]
    fn what_is_pending_is_written_when_the_guard_drops() {
        let sink = Sink::default();
        let (mut lines, guard) = batched(sink.clone());
        let big = vec![b'x'; 3 * SOON];
        lines.write_all(&big).unwrap();
        lines.write_all(b"last\n").unwrap();
        drop(guard);
        let written = sink.0.lock().unwrap();
        assert_eq!(written.len(), big.len() + 5);
        assert!(written.ends_with(b"xlast\n"));
    }
}
