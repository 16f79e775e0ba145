mod mask;
mod spreadsheet;
mod summary;
