//! Memory: mimalloc, tuned to give freed memory back to the system at once.
//!
//! Measured on a cached GET by secure ID (`bench/README.md`, session 11): glibc's allocator took
//! 14% of the server's CPU (`_int_free`, `malloc_consolidate`, ...); mimalloc cuts the server's
//! CPU per request by 12–14%. Left at its defaults it keeps freed pages for a second and commits
//! its arenas eagerly, which raised the resident size by 20–40 MB (a burst of logins, each
//! argon2 hash 19 MiB, peaked at 98 MB); purging at once and committing on demand keep it where
//! glibc's was (a login burst peaks at 65 MB and falls back to ~26 MB within the second), with no
//! periodic trim.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_arena_eager_commit` and `mi_option_purge_delay` in mimalloc's `mi_option_t`
/// (not named by `libmimalloc-sys`).
const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Tunes the allocator; call first thing in `main`. Arenas committed on demand must be chosen
/// before the first allocation reserves one, which comes before `main`: `EARLY` does that.
pub fn tune() {
    set_options();
}

extern "C" fn set_options() {
    // SAFETY: mi_option_set only changes allocator parameters; it allocates nothing.
    unsafe {
        libmimalloc_sys::mi_option_set(ARENA_EAGER_COMMIT, 0);
        libmimalloc_sys::mi_option_set(PURGE_DELAY, 0);
    }
}

/// Run by the dynamic loader with the process's other initializers, before Rust's runtime
/// allocates anything.
#[cfg(target_os = "linux")]
#[used]
#[link_section = ".init_array"]
static EARLY: extern "C" fn() = set_options;
