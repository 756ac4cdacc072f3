//! Sign-ups from the public page in groups (ssr only). Each sign-up is one transaction's
//! worth of work, and most of a transaction's cost is its commit (SQLite syncs the WAL;
//! PostgreSQL flushes and takes the bus's ordering lock). Under load, the sign-ups waiting
//! at the same moment share one transaction: each runs in its own savepoint, so one that
//! fails (a duplicate email, a cancelled shift) is rolled back alone and the others commit
//! together. With a single sign-up waiting, a group is just that sign-up.
//!
//! One group is written at a time: SQLite has one writer anyway, and on PostgreSQL four
//! writers at once measured slower (324 against 352 sign-ups/s: the groups wait on each
//! other's shift locks), see BENCHMARKS.md.

use tokio::sync::{mpsc, oneshot};

use super::SignupReceipt;
use super::service::{ShiftError, SignupRequest, sign_up_in};
use crate::bus::{self, Bus};
use crate::db::Tx;
use crate::events::{Actor, Event};
use crate::rate_limit::Allowance;

/// The most sign-ups one transaction takes: enough to share a commit among every client a
/// busy server has in flight, few enough that the first of them does not wait long.
const MAX_GROUP: usize = 64;

/// Waiting sign-ups beyond this get a "busy" error instead of an ever longer queue.
const QUEUE_LIMIT: usize = 4096;

#[derive(Debug)]
struct Waiting {
    actor: Actor,
    request: SignupRequest,
    reply: oneshot::Sender<Result<SignupReceipt, ShiftError>>,
}

/// The queue public sign-ups join; `start` runs its writer on the runtime.
#[derive(Clone, Debug)]
pub struct SignupQueue {
    sender: mpsc::Sender<Waiting>,
}

impl SignupQueue {
    pub fn start(bus: Bus) -> SignupQueue {
        let (sender, receiver) = mpsc::channel(QUEUE_LIMIT);
        tokio::spawn(write_groups(bus, receiver));
        SignupQueue { sender }
    }

    /// Signs someone up with the same rules and events as `service::sign_up`, in a group
    /// with whoever else is signing up at this moment, within the caller's per-IP allowance.
    pub async fn sign_up(
        &self,
        allowance: &Allowance<'_>,
        actor: Actor,
        request: SignupRequest,
    ) -> Result<SignupReceipt, ShiftError> {
        allowance.take().map_err(ShiftError::RateLimited)?;
        let (reply, answer) = oneshot::channel();
        self.sender.try_send(Waiting { actor, request, reply }).map_err(|_| ShiftError::TryAgain)?;
        answer.await.unwrap_or(Err(ShiftError::TryAgain))
    }
}

async fn write_groups(bus: Bus, mut receiver: mpsc::Receiver<Waiting>) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while receiver.recv_many(&mut group, MAX_GROUP).await > 0 {
        write_group(&bus, std::mem::take(&mut group)).await;
    }
}

/// One transaction for the group; each sign-up answered once it has committed (or failed).
async fn write_group(bus: &Bus, group: Vec<Waiting>) {
    let mut tx = match bus.db().begin_write().await {
        Ok(tx) => tx,
        Err(e) => return answer_all(group, &e),
    };
    let mut results = Vec::with_capacity(group.len());
    let mut events: Vec<(Actor, Event)> = Vec::new();
    for waiting in &group {
        match in_savepoint(&mut tx, &waiting.request).await {
            Ok(Ok((receipt, published))) => {
                events.extend(published.into_iter().map(|e| (waiting.actor.clone(), e)));
                results.push(Ok(receipt));
            }
            Ok(Err(refused)) => results.push(Err(refused)),
            Err(e) => return answer_all(group, &e),
        }
    }
    // Events last, just before the commit, outside the savepoints: on PostgreSQL publishing
    // takes the bus's ordering lock, held until commit.
    for (actor, event) in &events {
        if let Err(e) = bus::publish(&mut tx, actor, event).await {
            return answer_all(group, &e);
        }
    }
    if let Err(e) = bus.commit(tx).await {
        return answer_all(group, &e);
    }
    for (waiting, result) in group.into_iter().zip(results) {
        let _ = waiting.reply.send(result);
    }
}

/// Runs one sign-up in a savepoint, released on success and rolled back on a refusal. The
/// outer `Err` is a failure of the transaction itself.
async fn in_savepoint(
    tx: &mut Tx,
    request: &SignupRequest,
) -> Result<Result<(SignupReceipt, Vec<Event>), ShiftError>, sqlx::Error> {
    sqlx::query("SAVEPOINT signup").execute(&mut **tx).await?;
    let result = sign_up_in(tx, request).await;
    if result.is_err() {
        sqlx::query("ROLLBACK TO SAVEPOINT signup").execute(&mut **tx).await?;
    }
    sqlx::query("RELEASE SAVEPOINT signup").execute(&mut **tx).await?;
    Ok(result)
}

/// The whole group failed (the database is unreachable, the commit failed): nothing of it
/// was kept, and everyone is told so.
fn answer_all(group: Vec<Waiting>, error: &sqlx::Error) {
    tracing::error!(error = %error, signups = group.len(), "a group of sign-ups failed");
    for waiting in group {
        let _ = waiting.reply.send(Err(ShiftError::TryAgain));
    }
}
