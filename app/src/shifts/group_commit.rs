//! Sign-ups from the public page in groups (ssr only). Each sign-up alone is a transaction
//! of several statements and a commit (SQLite syncs the WAL; PostgreSQL takes the bus's
//! ordering lock). Under load, the sign-ups waiting at the same moment share one
//! transaction, and `service::sign_up_together` writes them a statement per table, not per
//! sign-up; a refused one (a duplicate email, a cancelled shift) changes nothing and the
//! others commit together. With a single sign-up waiting, a group is just that sign-up.
//!
//! One group is written at a time: SQLite has one writer anyway, and on PostgreSQL the
//! groups would wait on each other's shift locks (four writers at once measured slower,
//! see BENCHMARKS.md).

use tokio::sync::{mpsc, oneshot};

use super::SignupReceipt;
use super::service::{ShiftError, SignupRequest, sign_up_for_chosen, sign_up_for_series, sign_up_together};
use crate::bus::Bus;
use crate::events::Actor;
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

/// The way in for public sign-ups, each drawing once on the caller's per-IP allowance:
/// a single sign-up joins the queue, one for several shifts is written on its own. `start` runs
/// the queue's writer on the runtime.
#[derive(Clone, Debug)]
pub struct SignupQueue {
    sender: mpsc::Sender<Waiting>,
    bus: Bus,
}

impl SignupQueue {
    pub fn start(bus: Bus) -> SignupQueue {
        let (sender, receiver) = mpsc::channel(QUEUE_LIMIT);
        tokio::spawn(write_groups(bus.clone(), receiver));
        SignupQueue { sender, bus }
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

    /// Signs someone up for a shift and the later shifts of its series, as
    /// `service::sign_up_for_series`, for one use of the caller's per-IP allowance. Rarer than
    /// a single sign-up, and one person's several rows: written on its own, not in a group.
    pub async fn sign_up_for_series(
        &self,
        allowance: &Allowance<'_>,
        actor: Actor,
        request: SignupRequest,
    ) -> Result<SignupReceipt, ShiftError> {
        allowance.take().map_err(ShiftError::RateLimited)?;
        sign_up_for_series(&self.bus, &actor, request).await
    }

    /// Signs someone up for shifts chosen together, as `service::sign_up_for_chosen`, for one
    /// use of the caller's per-IP allowance; written on its own, as a series is.
    pub async fn sign_up_for_chosen(
        &self,
        allowance: &Allowance<'_>,
        actor: Actor,
        request: SignupRequest,
        others: &[String],
    ) -> Result<SignupReceipt, ShiftError> {
        allowance.take().map_err(ShiftError::RateLimited)?;
        sign_up_for_chosen(&self.bus, &actor, request, others).await
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
    let (requests, replies): (Vec<_>, Vec<_>) =
        group.into_iter().map(|w| ((w.actor, w.request), w.reply)).unzip();
    let signups = requests.len();
    match sign_up_together(bus, requests).await {
        Ok(answers) => {
            for (reply, answer) in replies.into_iter().zip(answers) {
                let _ = reply.send(answer);
            }
        }
        // The database is unreachable or the commit failed: nothing of the group was kept,
        // and everyone is told so.
        Err(error) => {
            tracing::error!(%error, signups, "a group of sign-ups failed");
            for reply in replies {
                let _ = reply.send(Err(ShiftError::TryAgain));
            }
        }
    }
}
