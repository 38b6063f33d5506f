//! Memory: with glibc, large blocks freed by argon2 (19 MiB per hash) would stay in the
//! allocator's heaps, per thread, and the resident size would grow with every login burst.
//! A fixed mmap threshold (4 MiB) makes such blocks go back to the system when freed, and fewer
//! arenas keep the small allocations of many threads together. Blocks below it (a page of 1,000
//! records and its JSON: 1-2 MB) stay in the heap between requests instead of being mapped and
//! faulted in anew each time (15% of a record page's CPU); `trim` (every few seconds) gives the
//! heap's free top back.

/// Gives the memory freed by large requests (ingestion batches, big lists) back to the system.
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> i32;
        }
        // SAFETY: malloc_trim only returns free memory to the system.
        unsafe {
            malloc_trim(0);
        }
    }
}

/// Tunes the allocator; call once at start, before threads are spawned.
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        const M_MMAP_THRESHOLD: i32 = -3;
        const M_ARENA_MAX: i32 = -8;
        const M_TRIM_THRESHOLD: i32 = -1;
        // SAFETY: mallopt only changes allocator parameters; called before other threads exist.
        unsafe {
            mallopt(M_MMAP_THRESHOLD, 4 << 20);
            mallopt(M_TRIM_THRESHOLD, 32 << 20);
            mallopt(M_ARENA_MAX, 2);
        }
    }
}
