//! Memory: mimalloc, tuned to give freed memory back to the system.
//!
//! Measured (`bench/README.md`, session 11): glibc's allocator took 14% of the server's CPU on a
//! cached GET by secure ID (`_int_free`, `malloc_consolidate`, ...); mimalloc cuts the server's CPU
//! per request by 15–20%, and invoice PDFs are served 1.6× as fast. Left at its defaults it keeps
//! freed pages for a second and commits its arenas eagerly: the resident size rose by 20–40 MB.
//! So arenas are committed on demand, freed pages are purged after 10 ms, and `collect` (every
//! second) purges what idle threads freed. Purging at once instead doubled a 100 MB download's
//! time (each 1 MiB chunk faulted in anew).

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
    extern "C" {
        fn getenv(name: *const std::ffi::c_char) -> *const std::ffi::c_char;
    }
    for (option, value, env) in
        [(ARENA_EAGER_COMMIT, 0, c"MIMALLOC_ARENA_EAGER_COMMIT"), (PURGE_DELAY, 10, c"MIMALLOC_PURGE_DELAY")]
    {
        // SAFETY: getenv reads the environment without allocating (this runs before Rust's
        // runtime); mi_option_set only changes an allocator parameter. An option set in the
        // environment (mimalloc's own interface) is left as set.
        unsafe {
            if getenv(env.as_ptr()).is_null() {
                libmimalloc_sys::mi_option_set(option, value);
            }
        }
    }
}

/// Run by the dynamic loader with the process's other initializers, before Rust's runtime
/// allocates anything.
#[cfg(target_os = "linux")]
#[used]
#[link_section = ".init_array"]
static EARLY: extern "C" fn() = set_options;

/// Purges the memory every thread freed more than the purge delay ago, wherever it is (idle
/// threads do not purge their own); run every second or two.
pub fn collect() {
    // SAFETY: mi_collect only gives back memory the allocator no longer uses.
    unsafe { libmimalloc_sys::mi_collect(true) }
}
