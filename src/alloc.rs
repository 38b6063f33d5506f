//! Memory: with glibc, large blocks freed by argon2 (19 MiB per hash) would stay in the
//! allocator's heaps, per thread, and the resident size would grow with every login burst.
//! A fixed mmap threshold makes such blocks go back to the system when freed, and fewer arenas
//! keep the small allocations of many threads together.

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
        // SAFETY: mallopt only changes allocator parameters; called before other threads exist.
        unsafe {
            mallopt(M_MMAP_THRESHOLD, 1 << 20);
            mallopt(M_ARENA_MAX, 2);
        }
    }
}
