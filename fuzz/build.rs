//! Bakes the venv's paths into the fuzz binary: an rpath to libpython's LIBDIR (so it runs
//! without LD_LIBRARY_PATH, as the main crate's build.rs does for the benches) and the
//! site-packages holding Django. Both come from the Python that PYO3_PYTHON names, the same
//! one pyo3's build script links against.
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=PYO3_PYTHON");
    let python = std::env::var("PYO3_PYTHON")
        .expect("set PYO3_PYTHON to the venv's python (scripts/fuzz.sh does)");
    let out = Command::new(&python)
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_config_var('LIBDIR')); print(sysconfig.get_paths()['purelib'])",
        ])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    assert!(
        out.status.success(),
        "{python} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8 paths");
    let mut lines = text.lines();
    let (libdir, site) = (lines.next().unwrap_or(""), lines.next().unwrap_or(""));
    println!("cargo:rustc-link-arg=-Wl,-rpath,{libdir}");
    println!("cargo:rustc-env=FUZZ_SITE_PACKAGES={site}");
}
