//! Secrets: argon2id password hashes, random values, SHA-256 lookup keys and constant-time
//! comparison. Nothing here logs or prints a secret.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Fills `n` random bytes from the operating system.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    getrandom::getrandom(&mut buf).expect("the operating system random source works");
    buf
}

pub fn random_hex(n_bytes: usize) -> String {
    hex(&random_bytes(n_bytes))
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// A random token in the UUID form the reference's samples show.
pub fn random_token() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

pub fn hash_password(password: &str) -> String {
    let salt = SaltString::encode_b64(&random_bytes(16)).expect("16 bytes make a valid salt");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters hashes any input")
        .to_string()
}

/// Verifies a password against a PHC string; a malformed stored hash verifies nothing.
pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// argon2 runs on a few dedicated threads (one per core, at most four): concurrent logins
/// queue instead of taking every blocking thread, and memory stays bounded (each hash uses
/// 19 MiB, kept by the allocator of the thread that ran it).
fn hashing_queue() -> &'static std::sync::Mutex<std::sync::mpsc::Sender<Job>> {
    static QUEUE: std::sync::OnceLock<std::sync::Mutex<std::sync::mpsc::Sender<Job>>> = std::sync::OnceLock::new();
    QUEUE.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        let n = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, 4);
        for i in 0..n {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new().name(format!("argon2-{i}")).spawn(move || loop {
                let job = match crate::sync::lock(&rx).recv() {
                    Ok(job) => job,
                    Err(_) => return,
                };
                job();
            });
            if let Err(e) = spawned {
                tracing::warn!(error = %e, "cannot start a hashing thread");
            }
        }
        std::sync::Mutex::new(tx)
    })
}

/// Runs `f` on the hashing threads; should they be gone (none could start, or one died with
/// the job), on a blocking thread of the runtime instead: a request never panics for it.
async fn on_hashing_threads<T: Send + 'static>(f: impl Fn() -> T + Send + Sync + 'static) -> T {
    let f = std::sync::Arc::new(f);
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = {
        let f = f.clone();
        Box::new(move || {
            let _ = tx.send(f());
        })
    };
    if crate::sync::lock(hashing_queue()).send(job).is_ok() {
        if let Ok(v) = rx.await {
            return v;
        }
    }
    match tokio::task::spawn_blocking(move || f()).await {
        Ok(v) => v,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

/// [`hash_password`] off the async threads.
pub async fn hash_password_async(password: String) -> String {
    on_hashing_threads(move || hash_password(&password)).await
}

/// [`verify_password`] off the async threads.
pub async fn verify_password_async(password: String, phc: String) -> bool {
    on_hashing_threads(move || verify_password(&password, &phc)).await
}

/// A hash that verifies no password, used to spend the same time on unknown logins.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&random_hex(16)))
}

#[cfg(test)]
mod tests;
