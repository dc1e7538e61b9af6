//! How the server hands memory back to the system.
//!
//! glibc's allocator serves a large block from a fresh `mmap` at first,
//! but each time one is freed it raises its threshold, until blocks of up
//! to 32 MiB come from its heaps, which it keeps and clears before reuse.
//! actix-web's brotli encoder takes a 4 MiB window for every compressed
//! response: under that rule, windows that once were in flight together
//! stayed resident for good, far above the server's memory without
//! compression, and each new window was cleared whole, page by page. A
//! fixed threshold keeps every block of 1 MiB or more in its own mapping:
//! the system's zeroed pages, resident only where written, returned when
//! freed. Peak memory then stays close to that without compression, and
//! brotli spends less CPU per response, as no window is cleared by hand
//! (figures in `docs/benchmark.md`, "Figures behind the code").

/// Blocks at least this large get a mapping of their own.
const OWN_MAPPING_FROM_BYTES: i32 = 1 << 20;

/// Fixes the allocator's threshold for blocks of their own mapping (glibc
/// on Linux; other systems keep their allocator's own rule).
pub fn return_large_blocks_when_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: `mallopt` sets one of the allocator's parameters under
        // the allocator's own lock; it takes no pointers and is safe to
        // call from any thread at any time.
        #[allow(unsafe_code)]
        let set = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, OWN_MAPPING_FROM_BYTES) };
        if set != 1 {
            tracing::warn!("the allocator refused its large-block threshold; memory may stay resident");
        }
    }
}
