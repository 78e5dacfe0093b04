//! Lets the criterion benches and test binaries, which embed CPython, find libpython at run
//! time without LD_LIBRARY_PATH. The extension module itself is left alone: it is loaded by a
//! Python that already has libpython mapped.
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=PYO3_PYTHON");
    let Some(python) = std::env::var_os("PYO3_PYTHON") else {
        return;
    };
    let out = Command::new(python)
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_config_var('LIBDIR') or '')",
        ])
        .output();
    if let Ok(out) = out {
        let libdir = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if !libdir.is_empty() {
            println!("cargo:rustc-link-arg-benches=-Wl,-rpath,{libdir}");
        }
    }
}
