//! The heap's layout at snapshot time, so that an invocation dirties few, contiguous pages.
//!
//! A fresh instance starts from the snapshot's memory image; after it, wasmtime resets the
//! pages the invocation wrote by copying them back from the image, but only for the first 32
//! disjoint runs of written pages (its `pagemap_scan` reset): everything beyond is released
//! with `madvise`, and the next invocation in that slot page-faults it back in, each fault a
//! copy-on-write plus a TLB shootdown across cores. Loading the nodes leaves the heap full of
//! small free chunks (compilation garbage), and `malloc` reuses them first, so an invocation's
//! allocations land all over the image. [`plug_holes`] fills those chunks for good at snapshot
//! time; an invocation then allocates from the top of the heap, one run of fresh pages, and
//! the heap keeps slack there so that a small invocation does not grow memory either.

unsafe extern "C" {
    fn malloc(size: usize) -> *mut u8;
    fn free(ptr: *mut u8);
}

/// Slack left at the top of the heap (zero pages in the image, not in its data).
const SLACK: usize = 1 << 20;

/// Allocates (and keeps) every free chunk below the heap's top, then leaves [`SLACK`] bytes
/// free at the top. Call once, last, at snapshot time.
pub fn plug_holes() {
    unsafe {
        // A chunk this large comes from the top of the heap (growing memory if needed):
        // whatever lies at or above it is the top, everything below is chunks or holes.
        let probe = malloc(SLACK);
        if probe.is_null() {
            return;
        }
        let top = probe as usize;
        free(probe);
        let mut size = 1 << 16;
        while size >= 8 {
            loop {
                let p = malloc(size);
                if p.is_null() {
                    break;
                }
                if p as usize >= top {
                    // From the top: no hole of this size is left.
                    free(p);
                    break;
                }
                // From a hole below the top: keep it, so that nothing lands there later.
            }
            size /= 2;
        }
    }
}
