//! One simulated editor: the protocol's client state machine (one change in flight, the
//! rest composed), typing single characters on an open-loop schedule, and recording when
//! each keystroke was scheduled, acknowledged and seen by others.

use futures::{SinkExt, StreamExt};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tandem_ot::{Document, Operation, transform};
use tokio_tungstenite::tungstenite::Message;

/// What a client is asked to do.
#[derive(Debug, Clone)]
pub struct Plan {
    pub url: String,
    pub doc: String,
    pub token: String,
    pub seed: u64,
    /// Keystrokes per second (0: an idle connection).
    pub rate: f64,
    /// When typing starts and stops, relative to `epoch`.
    pub start: Duration,
    pub stop: Duration,
    /// Apply received ops to a text (else only track lengths, as most of S5's authors do).
    pub full: bool,
    pub epoch: Instant,
    /// Fired by the ticker thread when keystrokes are due.
    pub ticks: std::sync::Arc<crate::ticker::Ticks>,
}

impl Plan {
    /// When this client types: a random phase within the interval, so clients do not all
    /// type in the same microsecond.
    pub fn schedule(&self) -> crate::ticker::Schedule {
        let interval = if self.rate > 0.0 {
            Duration::from_secs_f64(1.0 / self.rate)
        } else {
            Duration::from_secs(1_000_000)
        };
        let phase = interval.mul_f64(StdRng::seed_from_u64(self.seed ^ 0x5eed).random::<f64>());
        let first = self.epoch + self.start + phase;
        let stop = if self.rate > 0.0 {
            self.epoch + self.stop
        } else {
            first
        };
        crate::ticker::Schedule {
            first,
            interval,
            stop,
        }
    }
}

/// What a client measured. Times are microseconds since the common epoch.
#[derive(Debug, Default)]
pub struct Record {
    pub doc: String,
    /// (scheduled, scheduled → own ack), per keystroke.
    pub ack_us: Vec<(u32, u32)>,
    /// (revision, scheduled times of the keystrokes it holds), for own changes.
    pub authored: Vec<(u64, Vec<u32>)>,
    /// (revision, when applied), for others' changes.
    pub applied: Vec<(u64, u32)>,
    /// (scheduled, how late it was taken), per keystroke.
    pub lag_us: Vec<(u32, u32)>,
    pub keystrokes: u64,
    pub changes_sent: u64,
    pub received: u64,
    pub errors: u64,
    pub revision: u64,
    /// A hash of the final text, for full clients.
    pub text_hash: Option<u64>,
    pub connected: bool,
}

struct Pending {
    seq: u64,
    op: Operation,
    keystrokes: Vec<u32>,
}

fn micros(epoch: Instant, at: Instant) -> u32 {
    u32::try_from(at.saturating_duration_since(epoch).as_micros()).unwrap_or(u32::MAX)
}

/// The fields of a server message the generator reads; the operation stays raw until used.
#[derive(serde::Deserialize)]
struct Incoming<'a> {
    #[serde(rename = "type", borrow)]
    kind: &'a str,
    revision: Option<u64>,
    seq: Option<u64>,
    #[serde(borrow)]
    operation: Option<&'a serde_json::value::RawValue>,
}

fn parse_op(raw: Option<&serde_json::value::RawValue>) -> Operation {
    raw.and_then(|r| Operation::from_json(r.get(), &tandem_ot::Limits::UNLIMITED).ok())
        .unwrap_or_default()
}

fn hash(text: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

/// Runs one client to the end of its plan (and until its last change is acknowledged).
pub async fn run(plan: Plan) -> Record {
    let mut record = Record {
        doc: plan.doc.clone(),
        ..Record::default()
    };
    let url = format!("{}/collab/{}", plan.url.replacen("http", "ws", 1), plan.doc);
    // Small buffers: tungstenite zeroes its whole read buffer (128 KiB by default) on every
    // read, which was half of this generator's CPU.
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(4096);
    let Ok((socket, _)) =
        tokio_tungstenite::connect_async_with_config(url, Some(config), true).await
    else {
        return record;
    };
    let (mut sink, mut stream) = socket.split();
    let auth = json!({"type": "auth", "token": plan.token, "client_id": uuid::Uuid::new_v4()});
    if sink
        .send(Message::Text(auth.to_string().into()))
        .await
        .is_err()
    {
        return record;
    }
    let welcome = loop {
        match stream.next().await {
            Some(Ok(Message::Text(text))) => {
                let value: Value = serde_json::from_str(&text).unwrap_or_default();
                if value["type"] == "welcome" {
                    break value;
                }
            }
            _ => return record,
        }
    };
    record.connected = true;
    let content = welcome["content"].as_str().unwrap_or_default();
    let mut text = plan.full.then(|| Document::from(content));
    let mut len = content.chars().count();
    let mut revision = welcome["revision"].as_u64().unwrap_or(0);
    let mut inflight: Option<Pending> = None;
    let mut buffer: Option<(Operation, Vec<u32>)> = None;
    let mut seq = 0u64;
    let mut rng = StdRng::seed_from_u64(plan.seed);
    let schedule = plan.schedule();
    let interval = schedule.interval;
    let mut next = schedule.first;
    let stop_at = plan.epoch + plan.stop;
    let drain_until = stop_at + Duration::from_secs(15);

    loop {
        let typing = plan.rate > 0.0 && next < stop_at;
        if !typing && inflight.is_none() && buffer.is_none() && Instant::now() >= stop_at {
            // Keep reading until the document has been quiet a while, to see others' last
            // changes (an overloaded server can pause seconds between them).
            let quiet = tokio::time::timeout(Duration::from_secs(5), stream.next()).await;
            match quiet {
                Ok(Some(Ok(Message::Text(frame)))) => {
                    handle(
                        &frame,
                        &mut text,
                        &mut len,
                        &mut revision,
                        &mut inflight,
                        &mut buffer,
                        &mut record,
                        plan.epoch,
                    );
                    continue;
                }
                _ => break,
            }
        }
        if Instant::now() > drain_until {
            break;
        }
        tokio::select! {
            frame = stream.next() => match frame {
                Some(Ok(Message::Text(frame))) => {
                    let sent_buffer = handle(&frame, &mut text, &mut len, &mut revision, &mut inflight, &mut buffer, &mut record, plan.epoch);
                    if sent_buffer && let Some((op, keystrokes)) = buffer.take() {
                        seq += 1;
                        send(&mut sink, revision, &op, seq).await;
                        record.changes_sent += 1;
                        inflight = Some(Pending { seq, op, keystrokes });
                    }
                }
                Some(Ok(_)) => {}
                _ => break,
            },
            due = plan.ticks.wait(), if typing => {
              for _ in 0..due {
                let now = Instant::now();
                let scheduled = micros(plan.epoch, next);
                record.lag_us.push((scheduled, micros(plan.epoch, now).saturating_sub(scheduled)));
                next += interval;
                record.keystrokes += 1;
                // Where the user's caret is: anywhere in the text they see.
                let local = len
                    + inflight.as_ref().map_or(0, |p| p.op.target_len() - p.op.base_len())
                    + buffer.as_ref().map_or(0, |(b, _)| b.target_len() - b.base_len());
                let at = rng.random_range(0..=local);
                let letter = ["a", "e", "é", "日", " "][rng.random_range(0..5)];
                let edit = Operation::splice(local, at, 0, letter).expect("inside the text");
                match (&inflight, buffer.take()) {
                    (None, _) => {
                        seq += 1;
                        send(&mut sink, revision, &edit, seq).await;
                        record.changes_sent += 1;
                        inflight = Some(Pending { seq, op: edit, keystrokes: vec![scheduled] });
                    }
                    (Some(_), None) => buffer = Some((edit, vec![scheduled])),
                    (Some(_), Some((b, mut keys))) => {
                        keys.push(scheduled);
                        buffer = Some((tandem_ot::compose(&b, &edit).expect("composable"), keys));
                    }
                }
              }
            }
            _ = tokio::time::sleep_until(drain_until.into()) => {}
        }
    }
    record.revision = revision;
    record.text_hash = text.map(|t| hash(&t.to_string()));
    let _ = sink.close().await;
    record
}

async fn send<S>(sink: &mut S, revision: u64, op: &Operation, seq: u64)
where
    S: SinkExt<Message> + Unpin,
{
    let message =
        json!({"type": "document_change", "revision": revision, "operation": op, "seq": seq});
    let _ = sink.send(Message::Text(message.to_string().into())).await;
}

/// Applies one server frame. Returns true when an ack freed the slot for the buffer.
#[allow(clippy::too_many_arguments)]
fn handle(
    frame: &str,
    text: &mut Option<Document>,
    len: &mut usize,
    revision: &mut u64,
    inflight: &mut Option<Pending>,
    buffer: &mut Option<(Operation, Vec<u32>)>,
    record: &mut Record,
    epoch: Instant,
) -> bool {
    let Ok(message) = serde_json::from_str::<Incoming<'_>>(frame) else {
        return false;
    };
    let now = micros(epoch, Instant::now());
    match Some(message.kind) {
        Some("ack") => {
            if inflight.as_ref().map(|p| p.seq) != message.seq {
                return false;
            }
            let Some(done) = inflight.take() else {
                return false;
            };
            let acked = message.revision.unwrap_or(*revision);
            // The text the server now has: ours, with the change it acknowledged.
            if let Some(t) = text.as_mut() {
                let _ = t.apply(&done.op);
            }
            *len = done.op.target_len();
            *revision = acked;
            for scheduled in &done.keystrokes {
                record
                    .ack_us
                    .push((*scheduled, now.saturating_sub(*scheduled)));
            }
            record.authored.push((acked, done.keystrokes));
            buffer.is_some()
        }
        Some("document_change") => {
            record.received += 1;
            let op = parse_op(message.operation);
            let r = message.revision.unwrap_or(*revision + 1);
            // Pending changes move past the server's op; the server's op goes first.
            if let Some(pending) = inflight.as_mut() {
                let mut s = op.clone();
                if let Ok((s2, p2)) = transform(&s, &pending.op) {
                    pending.op = p2;
                    s = s2;
                }
                if let Some((b, _)) = buffer.as_mut()
                    && let Ok((_, b2)) = transform(&s, b)
                {
                    *b = b2;
                }
            }
            // The server text: apply the op as sent (our pending changes sit on top).
            if let Some(t) = text.as_mut() {
                let _ = t.apply(&op);
            }
            *len = op.target_len();
            *revision = r;
            record.applied.push((r, now));
            false
        }
        Some("error") => {
            record.errors += 1;
            false
        }
        _ => false,
    }
}
