//! Argon2id password hashing, run off the async threads (it is slow on purpose).

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

pub async fn hash(password: &str) -> Result<String, String> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())?
}

/// True when `password` matches `stored`. A malformed stored hash never matches.
pub async fn verify(stored: &str, password: &str) -> bool {
    let stored = stored.to_string();
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A real Argon2id hash of a random password, verified against when an email is unknown, so
/// that a wrong email takes as long as a wrong password.
pub const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$W1mkPjmZ6kN2NS8p9zVGJHrA+qwhV8ZQhUpjLkbG1Gk";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_with_argon2id_and_verifies() {
        let hashed = hash("correct horse battery staple").await.unwrap();
        assert!(hashed.starts_with("$argon2id$"));
        assert!(verify(&hashed, "correct horse battery staple").await);
        assert!(!verify(&hashed, "wrong horse battery staple").await);
        assert!(!verify("not a hash", "anything").await);
        assert!(PasswordHash::new(DECOY_HASH).is_ok());
    }
}
