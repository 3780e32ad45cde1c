//! One guarded password check: refused while the client is locked out or delayed,
//! counted when wrong, and audited when a lock starts or ends (see `store::lockout`).

use crate::error::{Error, Result};
use crate::state::AppState;
use crate::store::audit::{self, Actor, Event};
use crate::store::lockout::{Client, Refusal};
use serde_json::json;

/// The attempt being guarded: whose password, from which client, for what.
pub(crate) struct Guard<'a> {
    pub state: &'a AppState,
    /// The lockout subject: the account id, or a hash of an unknown identifier.
    pub subject: String,
    pub client: Client,
    pub actor: Actor,
    /// Whether the subject is a real account (only real accounts get lock audit events).
    pub account_exists: bool,
    /// The action the password guards, for audit details.
    pub via: Event,
}

impl Guard<'_> {
    /// Refuses the attempt if this client is locked out of the subject or delayed.
    pub async fn admit(&self) -> Result<()> {
        match self.state.lockout.check(&self.subject, self.client).await? {
            None => Ok(()),
            Some(Refusal::Locked { retry_after_secs }) => Err(Error::Locked { retry_after_secs }),
            Some(Refusal::Throttled { retry_after_secs }) => {
                Err(Error::Delayed { retry_after_secs })
            }
        }
    }

    /// Counts a wrong password, and audits a lock or delay it starts.
    pub async fn failed(&self) -> Result<()> {
        let after = self.state.lockout.fail(&self.subject, self.client).await?;
        if !self.account_exists {
            return Ok(());
        }
        let db = &self.state.platform.db;
        if let Some(lock) = after.locked_for {
            let details = json!({
                "scope": "client",
                "client": self.client.kind(),
                "duration_secs": lock.as_secs(),
                "via": self.via.as_str(),
            });
            audit::record(db, &self.actor, Event::Lockout, true, details).await?;
        }
        if after.delay_started {
            let details = json!({"scope": "account", "via": self.via.as_str()});
            audit::record(db, &self.actor, Event::Lockout, true, details).await?;
        }
        Ok(())
    }

    /// Clears the client's failures after a right password, auditing the end of a lock.
    pub async fn succeeded(&self) -> Result<()> {
        if self
            .state
            .lockout
            .succeed(&self.subject, self.client)
            .await?
            && self.account_exists
        {
            let db = &self.state.platform.db;
            let details = json!({"client": self.client.kind()});
            audit::record(db, &self.actor, Event::Unlock, true, details).await?;
        }
        Ok(())
    }
}
