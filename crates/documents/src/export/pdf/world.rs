//! The world one PDF export is typeset in: its markup as the only source, its embedded
//! images as the only files, and the installed fonts. Nothing else is reachable: no
//! packages, no file system, no clock.

use super::fonts::Found;
use super::markup::Markup;
use std::collections::HashMap;
use std::sync::LazyLock;
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

/// Typst's standard library, built once.
static LIBRARY: LazyLock<LazyHash<Library>> = LazyLock::new(|| LazyHash::new(Library::default()));

pub struct ExportWorld<'a> {
    main: Source,
    files: HashMap<FileId, Bytes>,
    fonts: &'a Found,
}

fn file_id(path: &str) -> FileId {
    let vpath = VirtualPath::new(path).expect("the export's own paths are valid");
    FileId::new(RootedPath::new(VirtualRoot::Project, vpath))
}

impl<'a> ExportWorld<'a> {
    pub fn new(markup: &Markup, fonts: &'a Found) -> Self {
        let main = Source::new(file_id("/main.typ"), markup.source.clone());
        let files = markup
            .images
            .iter()
            .map(|image| (file_id(&image.path), Bytes::new(image.bytes.clone())))
            .collect();
        Self { main, files, fonts }
    }
}

impl World for ExportWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &LIBRARY
    }

    fn book(&self) -> &LazyHash<FontBook> {
        self.fonts.book()
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::NotSource)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.main.id() {
            return Ok(Bytes::from_string(self.main.clone()));
        }
        self.files.get(&id).cloned().ok_or(FileError::AccessDenied)
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.font(index)
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        None
    }
}
