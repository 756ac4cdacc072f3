//! The key that encrypts secrets at rest, and a string type for secrets that cannot be
//! printed or serialised by accident.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
pub use secrecy::{ExposeSecret, SecretString};

/// 32 bytes for AES-256-GCM. Never stored in the database.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecretKeyError {
    #[error("CHANGEMAKER_SECRET_KEY must be 32 bytes encoded in base64 (e.g. `openssl rand -base64 32`)")]
    Malformed,
    #[error("the secret key file {path} is not a base64-encoded 32-byte key")]
    MalformedFile { path: String },
    #[error("cannot read or create the secret key file {path}: {source}")]
    Io { path: String, source: std::io::Error },
}

impl SecretKey {
    /// Parses a base64-encoded 32-byte key.
    pub fn from_base64(text: &str) -> Option<SecretKey> {
        let bytes = STANDARD.decode(text.trim()).ok()?;
        let key: [u8; 32] = bytes.try_into().ok()?;
        Some(SecretKey(key))
    }

    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Encrypts `plaintext` with AES-256-GCM under a fresh random nonce. `label` (the
    /// setting's name) is bound in as associated data, so a ciphertext copied to another
    /// setting does not decrypt. Returns `v1:` + base64(nonce ‖ ciphertext).
    pub fn encrypt(&self, label: &str, plaintext: &str) -> String {
        use aes_gcm::aead::{Aead, KeyInit, Payload};
        let cipher = aes_gcm::Aes256Gcm::new(&self.0.into());
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = cipher
            .encrypt(&nonce.into(), Payload { msg: plaintext.as_bytes(), aad: label.as_bytes() })
            .unwrap_or_default(); // AES-GCM only fails on inputs of gigabytes.
        let mut out = nonce.to_vec();
        out.extend(sealed);
        format!("v1:{}", STANDARD.encode(out))
    }

    /// Decrypts what `encrypt` made for the same `label`; `None` if it was made with another
    /// key or label, or was tampered with.
    pub fn decrypt(&self, label: &str, text: &str) -> Option<SecretString> {
        use aes_gcm::aead::{Aead, KeyInit, Payload};
        let bytes = STANDARD.decode(text.strip_prefix("v1:")?).ok()?;
        if bytes.len() < 12 {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(12);
        let cipher = aes_gcm::Aes256Gcm::new(&self.0.into());
        let nonce: [u8; 12] = nonce.try_into().ok()?;
        let plain = cipher.decrypt(&nonce.into(), Payload { msg: sealed, aad: label.as_bytes() }).ok()?;
        String::from_utf8(plain).ok().map(SecretString::from)
    }

    /// A signature of `message` for links that must not be forged (an unsubscribe link):
    /// base64url of HMAC-SHA256 over `label` and `message`, so one kind of link's signature
    /// is worth nothing as another's.
    pub fn sign(&self, label: &str, message: &str) -> String {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use hmac::Mac;
        URL_SAFE_NO_PAD.encode(self.mac(label, message).finalize().into_bytes())
    }

    /// Whether `signature` is what `sign` makes for `label` and `message` (compared in
    /// constant time).
    pub fn verify(&self, label: &str, message: &str, signature: &str) -> bool {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use hmac::Mac;
        URL_SAFE_NO_PAD
            .decode(signature)
            .is_ok_and(|bytes| self.mac(label, message).verify_slice(&bytes).is_ok())
    }

    fn mac(&self, label: &str, message: &str) -> hmac::Hmac<sha2::Sha256> {
        use hmac::Mac;
        use hmac::digest::KeyInit;
        // HMAC pads a key shorter than SHA-256's 64-byte block with zeros; padded here, the
        // key has the block's size, which the fallible constructor would only check.
        let mut block = [0u8; 64];
        block[..32].copy_from_slice(&self.0);
        let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new(&block.into());
        mac.update(label.as_bytes());
        mac.update(b"\0");
        mac.update(message.as_bytes());
        mac
    }

    /// The key from `path`, created there once (mode 0600) when it does not exist yet.
    pub fn load_or_create(path: &Path) -> Result<SecretKey, SecretKeyError> {
        let shown = path.display().to_string();
        let io = |source| SecretKeyError::Io { path: shown.clone(), source };
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(path) {
            Ok(mut file) => {
                let mut key = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut key);
                file.write_all(STANDARD.encode(key).as_bytes()).map_err(io)?;
                file.sync_all().map_err(io)?;
                Ok(SecretKey(key))
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let text = std::fs::read_to_string(path).map_err(io)?;
                SecretKey::from_base64(&text).ok_or(SecretKeyError::MalformedFile { path: shown.clone() })
            }
            Err(e) => Err(io(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_holds_only_for_its_key_label_and_message() {
        let key = SecretKey([7; 32]);
        let signature = key.sign("unsubscribe", "contact-1");
        assert!(key.verify("unsubscribe", "contact-1", &signature));
        assert!(!key.verify("unsubscribe", "contact-2", &signature), "another message");
        assert!(!key.verify("calendar", "contact-1", &signature), "another kind of link");
        assert!(!SecretKey([8; 32]).verify("unsubscribe", "contact-1", &signature), "another instance");
        assert!(!key.verify("unsubscribe", "contact-1", "not base64!"));
        assert!(!key.verify("unsubscribe", "contact-1", ""));
        // The same as HMAC-SHA256 keyed with the 32 bytes themselves.
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use hmac::Mac;
        let mut standard = hmac::Hmac::<sha2::Sha256>::new_from_slice(&[7; 32]).unwrap();
        standard.update(b"unsubscribe\0contact-1");
        assert_eq!(signature, URL_SAFE_NO_PAD.encode(standard.finalize().into_bytes()));
    }

    #[test]
    fn creates_the_key_file_once_with_owner_only_permissions() {
        let dir = std::env::temp_dir().join(format!("cm-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("secret.key");
        let _ = std::fs::remove_file(&path);
        let first = SecretKey::load_or_create(&path).unwrap();
        let second = SecretKey::load_or_create(&path).unwrap();
        assert_eq!(first.bytes(), second.bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn secrets_round_trip_only_with_the_same_key_and_label() {
        let key = SecretKey::from_base64(&STANDARD.encode([7u8; 32])).unwrap();
        let other = SecretKey::from_base64(&STANDARD.encode([8u8; 32])).unwrap();
        let sealed = key.encrypt("smtp.password", "hunter2");
        assert!(!sealed.contains("hunter2"));
        assert_ne!(sealed, key.encrypt("smtp.password", "hunter2"), "a fresh nonce each time");
        assert_eq!(key.decrypt("smtp.password", &sealed).unwrap().expose_secret(), "hunter2");
        assert!(key.decrypt("stripe.secret_key", &sealed).is_none());
        assert!(other.decrypt("smtp.password", &sealed).is_none());
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(key.decrypt("smtp.password", &tampered).is_none());
    }

    #[test]
    fn rejects_keys_of_the_wrong_length_and_never_prints_the_key() {
        assert!(SecretKey::from_base64("c2hvcnQ=").is_none());
        let key = SecretKey::from_base64(&STANDARD.encode([7u8; 32])).unwrap();
        assert_eq!(format!("{key:?}"), "SecretKey(..)");
    }
}
