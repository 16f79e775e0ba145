//! Tests of `server/src/pages/public/profile_admin.rs`.

use liuhen_server::pages::public::profile_admin::*;

#[test]
fn r_pre_4_type_is_decided_by_content() {
    assert_eq!(sniff(b"%PDF-1.7\n..."), Some("application/pdf"));
    assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
    assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
    assert_eq!(sniff(b"just text renamed to .pdf"), None);
}

#[test]
fn files_are_stored_by_hash_without_temporary_leftovers() {
    let dir = tempfile::tempdir().unwrap();
    let sha = store_file(dir.path(), b"%PDF-1.4 x").unwrap();
    assert_eq!(store_file(dir.path(), b"%PDF-1.4 x").unwrap(), sha);
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec![sha]);
}

#[test]
fn profile_errors_name_the_field() {
    assert!(
        check_text("职责权限", "  ")
            .unwrap_err()
            .contains("职责权限")
    );
    let long = "字".repeat(MAX_TEXT_CHARS + 1);
    assert!(
        check_text("监督方式", &long)
            .unwrap_err()
            .contains("监督方式")
    );
    assert_eq!(check_steps("现场检查\n\n听证\n").unwrap().len(), 2);
    assert!(check_steps("").is_err());
}

#[test]
fn download_names_are_cleaned() {
    assert_eq!(
        clean_file_name(Some("C:\\x\\流程图.png"), "image/png"),
        "流程图.png"
    );
    assert_eq!(clean_file_name(None, "application/pdf"), "document.pdf");
}
