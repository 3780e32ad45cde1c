//! The fonts PDF export typesets with: every font file under the configured directories,
//! found on the first PDF export and each one read into memory only when a document
//! uses it (the Noto CJK collections alone are over 100 MB).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use typst::text::{Font, FontBook, FontInfo};
use typst::utils::LazyHash;
use typst_kit::fonts::{FontPath, FontStore};

/// The font directories, and what was found in them once looked at.
pub struct Fonts {
    dirs: Vec<PathBuf>,
    found: OnceLock<Found>,
}

impl std::fmt::Debug for Fonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fonts").field("dirs", &self.dirs).finish()
    }
}

/// The fonts found.
pub struct Found {
    store: FontStore,
    /// Whether some font covers a character, remembered per character.
    covered: Mutex<HashMap<char, bool>>,
}

impl Fonts {
    /// The fonts of `dirs`, shared by every service in the process that names the same
    /// directories, so they are searched once (tests run hundreds of services).
    pub fn shared(dirs: &[PathBuf]) -> std::sync::Arc<Self> {
        static SHARED: Mutex<Vec<std::sync::Arc<Fonts>>> = Mutex::new(Vec::new());
        let mut shared = SHARED.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(fonts) = shared.iter().find(|f| f.dirs == dirs) {
            return fonts.clone();
        }
        let fonts = std::sync::Arc::new(Self::new(dirs.to_vec()));
        shared.push(fonts.clone());
        fonts
    }

    /// Fonts from `dirs`, searched recursively when first needed.
    pub fn new(dirs: Vec<PathBuf>) -> Self {
        Self {
            dirs,
            found: OnceLock::new(),
        }
    }

    /// The fonts, found now if this is the first time.
    pub fn get(&self) -> &Found {
        self.found.get_or_init(|| {
            let started = std::time::Instant::now();
            let mut store = FontStore::new();
            for dir in &self.dirs {
                scan(dir, &mut store, 0);
            }
            let count = (0..)
                .take_while(|&i| store.book().info(i).is_some())
                .count();
            if count == 0 {
                tracing::warn!(
                    dirs = ?self.dirs,
                    "no fonts found for PDF export: install fonts-noto-core, fonts-noto-cjk \
                     and fonts-noto-color-emoji, or set documents.font_dirs"
                );
            } else {
                tracing::info!(
                    fonts = count,
                    ms = started.elapsed().as_millis() as u64,
                    "fonts for PDF export found"
                );
            }
            Found {
                store,
                covered: Mutex::new(HashMap::new()),
            }
        })
    }
}

impl std::fmt::Debug for Found {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Found").finish_non_exhaustive()
    }
}

impl Found {
    /// Metadata of every font, for Typst.
    pub fn book(&self) -> &LazyHash<FontBook> {
        self.store.book()
    }

    /// The font at `index` of the book, read on first use.
    pub fn font(&self, index: usize) -> Option<Font> {
        self.store.font(index)
    }

    /// Whether some font has a glyph for `c`. Characters that are never drawn on their
    /// own (spaces, joiners, variation selectors, controls) count as covered.
    pub fn covers(&self, c: char) -> bool {
        if c.is_whitespace() || c.is_control() || is_default_ignorable(c) {
            return true;
        }
        let mut covered = self.covered.lock().unwrap_or_else(|e| e.into_inner());
        *covered.entry(c).or_insert_with(|| {
            let book = self.store.book();
            (0..)
                .map_while(|i| book.info(i))
                .any(|info| info.coverage.contains(u32::from(c)))
        })
    }
}

/// Code points a renderer may draw nothing for (Unicode's Default_Ignorable_Code_Point,
/// the ranges that occur in text) plus emoji skin-tone modifiers, which the emoji font
/// applies to the character before.
fn is_default_ignorable(c: char) -> bool {
    matches!(
        u32::from(c),
        0x00AD | 0x034F | 0x061C | 0x115F..=0x1160 | 0x17B4..=0x17B5 | 0x180B..=0x180F
            | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F
            | 0xFEFF | 0xFFA0 | 0xFFF0..=0xFFF8 | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A
            | 0xE0000..=0xE0FFF
    )
}

/// Adds every font under `dir`. Symbolic links are followed; `depth` stops a link loop.
fn scan(dir: &Path, store: &mut FontStore, depth: u32) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    // A stable order, so the same fonts win ties on every machine.
    paths.sort();
    for path in paths {
        if path.is_dir() {
            if depth < 8 {
                scan(&path, store, depth + 1);
            }
            continue;
        }
        let is_font = path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
            matches!(
                e.to_ascii_lowercase().as_str(),
                "ttf" | "otf" | "ttc" | "otc"
            )
        });
        if !is_font {
            continue;
        }
        let Ok(data) = std::fs::read(&path) else {
            continue;
        };
        // Index 0 is the only face of a plain font file; a collection has more.
        for index in 0u32.. {
            let Some(info) = FontInfo::new(&data, index) else {
                break;
            };
            store.push((
                FontPath {
                    path: path.clone(),
                    index,
                },
                info,
            ));
        }
    }
}
