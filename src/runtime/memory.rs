//! `--huge-pages`: whether the allocator's heap (mimalloc's arenas) uses transparent huge pages.
//!
//! mimalloc asks for them on its arenas (`madvise(MADV_HUGEPAGE)`) and gives freed memory back
//! in 64 KiB pieces. A piece given back from inside a huge page splits it, and khugepaged,
//! scanning in the background, later collapses the range into a whole huge page again, filling
//! the holes with zeroed memory (with the kernel's usual `khugepaged/max_ptes_none` of 511, one
//! page still in use is enough): after a burst of connections, memory came back and then crept
//! up again with no traffic at all. Giving memory back only in whole 2 MiB ranges (mimalloc's
//! `allow_thp=2`) was no cure: a range that still holds one live allocation is never given
//! back, which after a burst is most of them, and ranges first filled with small pages still
//! get collapsed (loadtests/conn_memory.py: +14% and +20% a minute after, against +0.5%
//! without huge pages). Hence off by default.

/// `--huge-pages on|off`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HugePages {
    /// mimalloc's own default: the arenas ask for transparent huge pages.
    On,
    /// No transparent huge pages in the process (`PR_SET_THP_DISABLE`, as mimalloc itself does
    /// for `MIMALLOC_ALLOW_THP=0`), and none asked for on new arenas.
    Off,
}

// mimalloc 3's `mi_option_t` (`include/mimalloc.h` of the libmimalloc-sys we build); the crate
// names only the older options. The test below checks the number.
const MI_OPTION_ALLOW_THP: libmimalloc_sys::mi_option_t = 43;

/// Sets the process's huge-page use, whatever `MIMALLOC_ALLOW_THP` or a parent process chose
/// (the kernel's setting is inherited across fork and exec). Called once at start-up, before
/// the cores start. It covers the arena mimalloc mapped while the module loaded (the kernel
/// reads the process's setting at each fault and khugepaged pass), except for the few huge
/// pages that arena already holds.
pub fn apply(choice: HugePages) {
    let (allow_thp, disable) = match choice {
        HugePages::On => (1, 0),
        HugePages::Off => (0, 1),
    };
    // SAFETY: mi_option_set takes no pointers; mimalloc reads options with atomic loads.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_ALLOW_THP, allow_thp) };
    // mimalloc makes this call itself only as it loads, before any flag could be read.
    // SAFETY: prctl with integer arguments only.
    if unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, disable, 0, 0, 0) } != 0 {
        eprintln!(
            "django-bolt: --huge-pages: cannot set the process's transparent huge pages ({})",
            std::io::Error::last_os_error()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allow_thp() -> i64 {
        // SAFETY: mi_option_get takes no pointers.
        unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_ALLOW_THP) as i64 }
    }

    fn thp_disabled_for_process() -> bool {
        // SAFETY: prctl with integer arguments only.
        unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) == 1 }
    }

    // One test, in this order: the settings are the process's.
    #[test]
    fn off_turns_huge_pages_off_for_mimalloc_and_the_kernel_and_on_back() {
        // Its default: a wrong option number would read another option, most of which are not
        // 1 (MIMALLOC_ALLOW_THP in the test's environment would change it; CI sets none).
        assert_eq!(
            allow_thp(),
            1,
            "MI_OPTION_ALLOW_THP is not mimalloc's allow_thp"
        );
        apply(HugePages::Off);
        assert_eq!(allow_thp(), 0);
        assert!(thp_disabled_for_process());
        // And back, as for a process started with the setting inherited from its parent.
        apply(HugePages::On);
        assert_eq!(allow_thp(), 1);
        assert!(!thp_disabled_for_process());
    }
}
