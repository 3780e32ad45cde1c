//! `tandem seed`: demo accounts for trying tandem out. Running it again changes nothing.

use crate::auth::hashing::Hasher;
use crate::domain::{DisplayName, Email, PasswordPolicy, Username};
use crate::store::accounts::{self, NewAccount};
use anyhow::Context;

/// A demo account. The credentials are documented in the README: never seed production.
#[derive(Debug, Clone, Copy)]
pub struct DemoUser {
    /// Email.
    pub email: &'static str,
    /// Username.
    pub username: &'static str,
    /// Display name.
    pub display_name: &'static str,
    /// Password.
    pub password: &'static str,
}

/// The demo accounts.
pub const DEMO_USERS: [DemoUser; 3] = [
    DemoUser {
        email: "ada@example.com",
        username: "ada",
        display_name: "Ada Lovelace",
        password: "correct horse battery staple",
    },
    DemoUser {
        email: "grace@example.com",
        username: "grace",
        display_name: "Grace Hopper",
        password: "plaid umbrella orbit sandwich",
    },
    DemoUser {
        email: "alan@example.com",
        username: "alan",
        display_name: "Alan Turing",
        password: "quiet lantern meadow cipher",
    },
];

/// Creates the demo accounts that do not exist yet; returns how many it created.
pub async fn seed(pool: &sqlx::PgPool, bcrypt_cost: u32) -> anyhow::Result<usize> {
    let hasher = Hasher::new(bcrypt_cost).await?;
    let mut created = 0;
    for demo in DEMO_USERS {
        let email = Email::parse(demo.email).map_err(anyhow::Error::msg)?;
        if accounts::by_email(pool, &email).await?.is_some() {
            continue;
        }
        let username = Username::parse(demo.username).map_err(anyhow::Error::msg)?;
        let password = PasswordPolicy::check(demo.password, demo.email, demo.username)
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("demo password of {}", demo.email))?;
        let new = NewAccount {
            email,
            username,
            display_name: DisplayName::parse(demo.display_name).map_err(anyhow::Error::msg)?,
            password_hash: hasher.hash(&password).await?,
        };
        match accounts::insert(pool, &new).await {
            Ok(_) => created += 1,
            // Another `tandem seed` running at the same moment got there first.
            Err(crate::Error::Taken { .. }) => {}
            Err(e) => return Err(anyhow::Error::from(e).context(format!("seeding {}", demo.email))),
        }
    }
    Ok(created)
}
