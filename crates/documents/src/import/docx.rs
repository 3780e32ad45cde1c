//! DOCX → Markdown, from `word/document.xml`, read as a stream of XML events.

use super::{ImportError, Limits};
use quick_xml::events::Event;
use std::io::Read;

/// Deepest XML element nesting accepted. The conversion below is a flat loop over events,
/// so depth costs it nothing; the bound keeps it that way for whatever reads the XML next.
/// Word's own documents nest tables in tables in a few dozen levels at most.
const MAX_XML_DEPTH: usize = 256;

/// Most images one import stores as attachments; a file with more is refused.
pub const MAX_IMAGES: usize = 100;

/// An image of the file, to be stored as an attachment of the new document: the Markdown
/// shows it as `![alt](<placeholder>)` until its attachment exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// What the Markdown links it by for now.
    pub placeholder: String,
    /// Its file name in the package (`image1.png`).
    pub filename: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// The prefix of an image placeholder; no real link starts with it.
pub const PLACEHOLDER: &str = "tandem-import-image:";

/// The Markdown of a DOCX file, without its images (see [`with_images`]).
#[cfg(test)]
pub(super) fn to_markdown(bytes: &[u8], limits: Limits) -> Result<String, ImportError> {
    with_images(bytes, limits).map(|(markdown, _)| markdown)
}

/// The Markdown of a DOCX file and the images it shows (at most [`MAX_IMAGES`], of at
/// most `limits.max_expanded_bytes` in all).
pub(super) fn with_images(
    bytes: &[u8],
    limits: Limits,
) -> Result<(String, Vec<Image>), ImportError> {
    let corrupt = |why: &str| ImportError::Corrupt(format!("the file is not a valid .docx: {why}"));
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|_| corrupt("not a zip archive"))?;
    let limit = limits.max_expanded_bytes;
    let xml = read_part(&mut archive, "word/document.xml", limit)?
        .ok_or_else(|| corrupt("no word/document.xml"))?;
    // The parts lists and links are defined in; a document may have none of them.
    let numbering = read_part(&mut archive, "word/numbering.xml", limit)?;
    let styles = read_part(&mut archive, "word/styles.xml", limit)?;
    let rels = read_part(&mut archive, "word/_rels/document.xml.rels", limit)?;
    let parts = Parts::read(numbering.as_deref(), styles.as_deref(), rels.as_deref()).map_err(
        |e| match e {
            XmlError::Malformed(why) => corrupt(&why),
            XmlError::TooDeep => too_deep(),
        },
    )?;
    let (markdown, wanted) = xml_to_markdown(&xml, &parts).map_err(|e| match e {
        XmlError::Malformed(why) => corrupt(&why),
        XmlError::TooDeep => too_deep(),
    })?;
    if wanted.len() > MAX_IMAGES {
        return Err(ImportError::TooLarge(format!(
            "the document shows {} images; an import stores at most {MAX_IMAGES}",
            wanted.len()
        )));
    }
    let mut images = Vec::new();
    let mut left = limit;
    for (n, target) in wanted.iter().enumerate() {
        // Targets are relative to word/ (or absolute within the package).
        let name = match target.strip_prefix('/') {
            Some(absolute) => absolute.to_owned(),
            None => format!("word/{target}"),
        };
        let Some(bytes) = read_bytes(&mut archive, &name, left)? else {
            continue;
        };
        left -= bytes.len();
        images.push(Image {
            placeholder: format!("{PLACEHOLDER}{n}"),
            filename: name.rsplit('/').next().unwrap_or("image").to_owned(),
            bytes,
        });
    }
    Ok((markdown, images))
}

/// The document's title: its title property (`docProps/core.xml`), else the text of the
/// first heading of its Markdown.
pub(super) fn title(bytes: &[u8], markdown: &str) -> Option<String> {
    let from_property = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .ok()
        .and_then(|mut archive| {
            read_part(&mut archive, "docProps/core.xml", 64 * 1024)
                .ok()
                .flatten()
        })
        .and_then(|xml| {
            let mut events = Events::new(&xml);
            let mut in_title = false;
            let mut title = String::new();
            loop {
                match events.next().ok()? {
                    Event::Start(e) if e.local_name().into_inner() == "title" => in_title = true,
                    Event::End(e) if e.local_name().into_inner() == "title" => break,
                    Event::Text(t) if in_title => title.push_str(&t.xml10_content()),
                    Event::Eof => break,
                    _ => {}
                }
            }
            Some(title.trim().to_owned())
        })
        .filter(|t| !t.is_empty());
    from_property.or_else(|| {
        markdown
            .lines()
            .find_map(|line| {
                line.strip_prefix('#')
                    .map(|h| h.trim_start_matches('#').trim())
            })
            .filter(|h| !h.is_empty())
            .map(str::to_owned)
    })
}

fn too_deep() -> ImportError {
    ImportError::TooLarge(format!(
        "word/document.xml nests elements more than {MAX_XML_DEPTH} levels deep"
    ))
}

/// One part of the package as text, read at most `limit` bytes far: the declared size
/// refuses an honest big file without inflating anything, the bounded read one whose header
/// lies (a zip bomb). `None` if the package has no such part.
fn read_part(
    archive: &mut zip::ZipArchive<std::io::Cursor<&[u8]>>,
    name: &str,
    limit: usize,
) -> Result<Option<String>, ImportError> {
    let Some(bytes) = read_bytes(archive, name, limit)? else {
        return Ok(None);
    };
    String::from_utf8(bytes).map(Some).map_err(|_| {
        ImportError::Corrupt(format!(
            "the file is not a valid .docx: {name} is not UTF-8 XML"
        ))
    })
}

/// A part's bytes, read as [`read_part`] reads XML: at most `limit` of them.
fn read_bytes(
    archive: &mut zip::ZipArchive<std::io::Cursor<&[u8]>>,
    name: &str,
    limit: usize,
) -> Result<Option<Vec<u8>>, ImportError> {
    let corrupt =
        |why: String| ImportError::Corrupt(format!("the file is not a valid .docx: {why}"));
    let entry = match archive.by_name(name) {
        Ok(entry) => entry,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(
            zip::result::ZipError::InvalidPassword
            | zip::result::ZipError::UnsupportedArchive(zip::result::ZipError::PASSWORD_REQUIRED),
        ) => return Err(ImportError::Corrupt(super::ENCRYPTED.into())),
        Err(_) => return Err(corrupt(format!("{name} cannot be read"))),
    };
    let too_large = || {
        ImportError::TooLarge(format!(
            "the document's {name} expands to more than {limit} bytes, the most a document \
             may hold"
        ))
    };
    if entry.size() > limit as u64 {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    entry
        .take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|_| corrupt(format!("{name} cannot be decompressed")))?;
    if bytes.len() > limit {
        return Err(too_large());
    }
    Ok(Some(bytes))
}

enum XmlError {
    Malformed(String),
    TooDeep,
}

/// Reads XML events, refusing nesting deeper than [`MAX_XML_DEPTH`].
struct Events<'a> {
    reader: quick_xml::Reader<&'a [u8]>,
    depth: usize,
}

impl<'a> Events<'a> {
    fn new(xml: &'a str) -> Self {
        Self {
            reader: quick_xml::Reader::from_str(xml),
            depth: 0,
        }
    }

    fn next(&mut self) -> Result<Event<'a>, XmlError> {
        let event = self
            .reader
            .read_event()
            .map_err(|e| XmlError::Malformed(format!("malformed XML: {e}")))?;
        match &event {
            Event::Start(_) => {
                self.depth += 1;
                if self.depth > MAX_XML_DEPTH {
                    return Err(XmlError::TooDeep);
                }
            }
            Event::End(_) => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
        Ok(event)
    }
}

/// Whether a list is bulleted or numbered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListKind {
    Bullet,
    Number,
}

/// What the other parts of the package say: list formats by numbering id and level, the
/// list and heading meaning of paragraph styles, and hyperlink targets.
#[derive(Debug, Default)]
struct Parts {
    /// `numId` → its abstract numbering's format per level.
    lists: std::collections::HashMap<String, Vec<ListKind>>,
    /// Paragraph style id → its numbering (`numId`, level), for list styles.
    style_lists: std::collections::HashMap<String, (String, usize)>,
    /// Paragraph style id → its name (`heading 1`, `List Bullet 2`, `Source Code`…).
    style_names: std::collections::HashMap<String, String>,
    /// Character style id → its name.
    char_styles: std::collections::HashMap<String, String>,
    /// Relationship id → external link target.
    links: std::collections::HashMap<String, String>,
    /// Relationship id → an image part inside the package.
    images: std::collections::HashMap<String, String>,
}

impl Parts {
    fn read(
        numbering: Option<&str>,
        styles: Option<&str>,
        rels: Option<&str>,
    ) -> Result<Self, XmlError> {
        let mut parts = Parts::default();
        if let Some(xml) = numbering {
            parts.read_numbering(xml)?;
        }
        if let Some(xml) = styles {
            parts.read_styles(xml)?;
        }
        if let Some(xml) = rels {
            let mut events = Events::new(xml);
            loop {
                match events.next()? {
                    Event::Start(e) | Event::Empty(e)
                        if e.local_name().into_inner() == "Relationship" =>
                    {
                        let external = attribute(&e, "TargetMode").is_some_and(|m| m == "External");
                        let image = attribute(&e, "Type").is_some_and(|t| t.ends_with("/image"));
                        match (attribute(&e, "Id"), attribute(&e, "Target")) {
                            (Some(id), Some(target)) if external => {
                                parts.links.insert(id, target);
                            }
                            (Some(id), Some(target)) if image => {
                                parts.images.insert(id, target);
                            }
                            _ => {}
                        }
                    }
                    Event::Eof => break,
                    _ => {}
                }
            }
        }
        Ok(parts)
    }

    fn read_numbering(&mut self, xml: &str) -> Result<(), XmlError> {
        let mut abstracts: std::collections::HashMap<String, Vec<ListKind>> = Default::default();
        let mut nums: Vec<(String, String)> = Vec::new();
        let (mut current, mut level, mut num) = (None::<String>, 0usize, None::<String>);
        let mut events = Events::new(xml);
        loop {
            match events.next()? {
                Event::Start(e) | Event::Empty(e) => match e.local_name().into_inner() {
                    "abstractNum" => current = attribute(&e, "abstractNumId"),
                    "lvl" => {
                        level = attribute(&e, "ilvl")
                            .and_then(|l| l.parse().ok())
                            .unwrap_or(0)
                    }
                    "numFmt" => {
                        if let Some(id) = &current {
                            let kind = match attribute(&e, "val").as_deref() {
                                Some("bullet") | Some("none") => ListKind::Bullet,
                                _ => ListKind::Number,
                            };
                            let levels = abstracts.entry(id.clone()).or_default();
                            if level < 9 {
                                if levels.len() <= level {
                                    levels.resize(level + 1, ListKind::Bullet);
                                }
                                levels[level] = kind;
                            }
                        }
                    }
                    "num" => num = attribute(&e, "numId"),
                    "abstractNumId" => {
                        if let (Some(n), Some(a)) = (&num, attribute(&e, "val")) {
                            nums.push((n.clone(), a));
                        }
                    }
                    _ => {}
                },
                Event::End(e) if e.local_name().into_inner() == "abstractNum" => current = None,
                Event::Eof => break,
                _ => {}
            }
        }
        for (num, abstract_id) in nums {
            if let Some(levels) = abstracts.get(&abstract_id) {
                self.lists.insert(num, levels.clone());
            }
        }
        Ok(())
    }

    fn read_styles(&mut self, xml: &str) -> Result<(), XmlError> {
        let (mut id, mut paragraph) = (None::<String>, false);
        let (mut num, mut level) = (None::<String>, 0usize);
        let mut events = Events::new(xml);
        loop {
            match events.next()? {
                Event::Start(e) | Event::Empty(e) => match e.local_name().into_inner() {
                    "style" => {
                        id = attribute(&e, "styleId");
                        paragraph = attribute(&e, "type").is_none_or(|t| t == "paragraph");
                        (num, level) = (None, 0);
                        if attribute(&e, "type").as_deref() == Some("character") {
                            paragraph = false;
                        }
                    }
                    "name" => {
                        if let (Some(id), Some(name)) = (&id, attribute(&e, "val")) {
                            if paragraph {
                                self.style_names.insert(id.clone(), name);
                            } else {
                                self.char_styles.insert(id.clone(), name);
                            }
                        }
                    }
                    "numId" => num = attribute(&e, "val"),
                    "ilvl" => {
                        level = attribute(&e, "val")
                            .and_then(|l| l.parse().ok())
                            .unwrap_or(0)
                    }
                    _ => {}
                },
                Event::End(e) if e.local_name().into_inner() == "style" => {
                    if let (Some(id), Some(num), true) = (&id, num.take(), paragraph) {
                        self.style_lists.insert(id.clone(), (num, level));
                    }
                    id = None;
                }
                Event::Eof => break,
                _ => {}
            }
        }
        Ok(())
    }

    /// The style's name, or its id when the package does not name it.
    fn style_name(&self, id: &str) -> String {
        self.style_names
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_owned())
            .to_ascii_lowercase()
            .replace(' ', "")
    }

    /// A list's kind at `level`: from its numbering definition, else from its style's name.
    fn list_kind(&self, num: &str, level: usize, style: Option<&str>) -> ListKind {
        if let Some(kind) = self.lists.get(num).and_then(|levels| levels.get(level)) {
            return *kind;
        }
        match style.map(|s| self.style_name(s)) {
            Some(name) if name.contains("number") => ListKind::Number,
            _ => ListKind::Bullet,
        }
    }
}

/// What a paragraph is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    Paragraph,
    Heading(usize),
    Item(ListKind, usize),
    Code,
    Quote,
}

/// The paragraph being read.
#[derive(Debug)]
struct Paragraph {
    text: String,
    style: Option<String>,
    num: Option<String>,
    level: usize,
    /// `numId` 0 turns a list style's numbering off.
    numbering_off: bool,
    /// A code block's line: its runs are taken as they are.
    code: bool,
}

impl Paragraph {
    fn new() -> Self {
        Self {
            text: String::new(),
            style: None,
            num: None,
            level: 0,
            numbering_off: false,
            code: false,
        }
    }

    fn block(&self, parts: &Parts) -> Block {
        let name = self.style.as_deref().map(|s| parts.style_name(s));
        if let Some(name) = &name {
            if let Some(level) = name
                .strip_prefix("heading")
                .and_then(|l| l.parse::<usize>().ok())
            {
                return Block::Heading(level.clamp(1, 6));
            }
            if name == "title" {
                return Block::Heading(1);
            }
            if is_code_style(name) {
                return Block::Code;
            }
            if ["quote", "blocktext", "intensequote"].contains(&name.as_str()) {
                return Block::Quote;
            }
        }
        if self.numbering_off {
            return Block::Paragraph;
        }
        // Word's "List Bullet 2", "List Number 3"… are the nested levels of its list styles
        // (each with numbering of its own at level 0, indented further).
        let named = name.as_deref().and_then(|n| {
            let kind = if n.starts_with("listbullet") {
                ListKind::Bullet
            } else if n.starts_with("listnumber") {
                ListKind::Number
            } else {
                return None;
            };
            let level = n
                .chars()
                .last()
                .and_then(|c| c.to_digit(10))
                .map_or(0, |d| d.saturating_sub(1) as usize);
            Some((kind, level))
        });
        let named_level = named.map_or(0, |(_, level)| level);
        let from_style = self
            .style
            .as_ref()
            .and_then(|s| parts.style_lists.get(s).cloned());
        match (&self.num, from_style, named) {
            (Some(num), _, _) => Block::Item(
                parts.list_kind(num, self.level, self.style.as_deref()),
                self.level.max(named_level),
            ),
            (None, Some((num, level)), _) => Block::Item(
                parts.list_kind(&num, level, self.style.as_deref()),
                level.max(named_level),
            ),
            (None, None, Some((kind, level))) => Block::Item(kind, level),
            (None, None, None) => Block::Paragraph,
        }
    }
}

/// Whether a paragraph style (by normalised name) is a code block's.
fn is_code_style(name: &str) -> bool {
    ["sourcecode", "code", "htmlpreformatted", "codeblock"].contains(&name)
}

/// A table being read: rows of cells, each cell its paragraphs' text.
#[derive(Debug, Default)]
struct Table {
    rows: Vec<Vec<String>>,
}

impl Table {
    fn markdown(&self) -> String {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0).max(1);
        let row = |cells: &[String]| {
            let mut line = String::from("|");
            for i in 0..columns {
                let cell = cells.get(i).map_or("", String::as_str);
                line.push(' ');
                line.push_str(&cell.replace('|', "\\|"));
                line.push_str(" |");
            }
            line
        };
        let mut out = Vec::new();
        let empty = Vec::new();
        let mut rows = self.rows.iter();
        out.push(row(rows.next().unwrap_or(&empty)));
        out.push(format!("|{}", " --- |".repeat(columns)));
        out.extend(rows.map(|r| row(r)));
        out.join("\n")
    }
}

/// Markdown being written, block by block.
#[derive(Debug, Default)]
struct Writer {
    out: String,
    /// The kind of the last block, for spacing (list items and code lines stay together).
    last: Option<Block>,
    /// The open list's items' indents and marker widths, per level.
    indents: Vec<(usize, usize)>,
}

impl Writer {
    fn block(&mut self, block: Block, text: &str) {
        let joins = match (self.last, block) {
            // A list goes on until a top-level item of the other kind starts a new one.
            (Some(Block::Item(before, _)), Block::Item(kind, level)) => level > 0 || before == kind,
            (Some(Block::Code), Block::Code) => true,
            _ => false,
        };
        if let (Some(Block::Item(..)), Block::Item(_, 0)) = (self.last, block)
            && !joins
        {
            self.indents.clear();
        }
        if !matches!(block, Block::Item(..)) {
            self.indents.clear();
        }
        match (self.last, block) {
            (Some(Block::Code), Block::Code) => {}
            (Some(Block::Code), _) => self.out.push_str("```\n"),
            _ => {}
        }
        if self.last.is_some() && !joins {
            self.out.push('\n');
        }
        match block {
            Block::Paragraph => self.line("", text),
            Block::Heading(level) => self.line(&format!("{} ", "#".repeat(level)), text),
            Block::Quote => self.line("> ", text),
            Block::Code => {
                if self.last != Some(Block::Code) {
                    self.out.push_str("```\n");
                }
                self.out.push_str(text);
                self.out.push('\n');
            }
            Block::Item(kind, level) => {
                let level = level.min(self.indents.len());
                self.indents.truncate(level);
                let indent = self.indents.last().map_or(0, |(i, w)| i + w);
                let marker = match kind {
                    ListKind::Bullet => "- ",
                    ListKind::Number => "1. ",
                };
                self.indents.push((indent, marker.len()));
                self.line(&format!("{}{marker}", " ".repeat(indent)), text);
            }
        }
        self.last = Some(block);
    }

    fn line(&mut self, prefix: &str, text: &str) {
        self.out.push_str(prefix);
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn finish(mut self) -> String {
        if self.last == Some(Block::Code) {
            self.out.push_str("```\n");
        }
        self.out.trim_end().to_owned() + "\n"
    }
}

/// Converts WordprocessingML body XML to Markdown: headings, paragraphs, bold, italic and
/// code runs, hyperlinks, bulleted and numbered lists (their kind and nesting from the
/// numbering definitions), tables, code blocks and quotes (from their styles).
/// The Markdown, and the package paths of the images it shows (in the order of their
/// placeholders).
fn xml_to_markdown(xml: &str, parts: &Parts) -> Result<(String, Vec<String>), XmlError> {
    let mut events = Events::new(xml);
    let mut images: Vec<String> = Vec::new();
    // The description of the drawing being read, for the image's alt text.
    let mut alt = String::new();
    let mut writer = Writer::default();
    let mut paragraph = Paragraph::new();
    let mut tables: Vec<Table> = Vec::new();
    let (mut bold, mut italic, mut code, mut in_text) = (false, false, false, false);
    // Where the open hyperlink's text starts in the paragraph, and its target.
    let mut link: Option<(usize, Option<String>)> = None;
    loop {
        match events.next()? {
            Event::Start(e) | Event::Empty(e) => match e.local_name().into_inner() {
                "p" => paragraph = Paragraph::new(),
                "pStyle" => {
                    paragraph.style = attribute(&e, "val");
                    paragraph.code = paragraph
                        .style
                        .as_deref()
                        .is_some_and(|s| is_code_style(&parts.style_name(s)));
                }
                "ilvl" => {
                    paragraph.level = attribute(&e, "val")
                        .and_then(|l| l.parse::<usize>().ok())
                        .unwrap_or(0)
                        .min(8)
                }
                "numId" => match attribute(&e, "val") {
                    Some(n) if n == "0" => paragraph.numbering_off = true,
                    n => paragraph.num = n,
                },
                "b" => bold = attribute(&e, "val").is_none_or(|v| v != "0" && v != "false"),
                "i" => italic = attribute(&e, "val").is_none_or(|v| v != "0" && v != "false"),
                "rStyle" => {
                    let id = attribute(&e, "val").unwrap_or_default();
                    let name = parts
                        .char_styles
                        .get(&id)
                        .cloned()
                        .unwrap_or(id)
                        .to_ascii_lowercase();
                    code = ["verbatim", "code", "htmlcode", "sourcecode"]
                        .iter()
                        .any(|c| name.replace(' ', "").contains(c));
                }
                "rFonts" => {
                    let font = attribute(&e, "ascii")
                        .unwrap_or_default()
                        .to_ascii_lowercase();
                    if ["courier", "consolas", "mono", "menlo"]
                        .iter()
                        .any(|f| font.contains(f))
                    {
                        code = true;
                    }
                }
                "r" => (bold, italic, code) = (false, false, false),
                "t" => in_text = true,
                "tab" => paragraph.text.push('\t'),
                "br" | "cr" => paragraph
                    .text
                    .push_str(match (paragraph.code, tables.is_empty()) {
                        (true, _) => "\n",
                        (false, true) => "  \n",
                        (false, false) => "<br>",
                    }),
                "hyperlink" => {
                    let target = attribute(&e, "id").and_then(|id| parts.links.get(&id).cloned());
                    link = Some((paragraph.text.len(), target));
                }
                "docPr" => {
                    alt = attribute(&e, "descr")
                        .filter(|d| !d.trim().is_empty())
                        .or_else(|| attribute(&e, "title"))
                        .unwrap_or_default()
                        .replace(['[', ']', '\n', '\r'], " ");
                }
                "blip" => {
                    let embedded = attribute(&e, "embed").and_then(|id| parts.images.get(&id));
                    let linked = attribute(&e, "link").and_then(|id| parts.links.get(&id));
                    if let Some(target) = embedded {
                        let n = images.iter().position(|t| t == target).unwrap_or_else(|| {
                            images.push(target.clone());
                            images.len() - 1
                        });
                        paragraph
                            .text
                            .push_str(&format!("![{alt}]({PLACEHOLDER}{n})"));
                    } else if let Some(url) = linked.filter(|u| {
                        let u = u.to_ascii_lowercase();
                        u.starts_with("https://") || u.starts_with("http://")
                    }) {
                        // A linked (not embedded) picture is never fetched, and not shown
                        // as an image either (it could be a tracking pixel): a link to it.
                        let text = if alt.trim().is_empty() {
                            "image"
                        } else {
                            alt.trim()
                        };
                        paragraph.text.push_str(&format!("[{text}]({url})"));
                    }
                    alt.clear();
                }
                "tbl" => tables.push(Table::default()),
                "tr" => {
                    if let Some(table) = tables.last_mut() {
                        table.rows.push(Vec::new());
                    }
                }
                "tc" => {
                    if let Some(row) = tables.last_mut().and_then(|t| t.rows.last_mut()) {
                        row.push(String::new());
                    }
                }
                _ => {}
            },
            // Entities arrive as their own events: `&amp;` between two text events.
            Event::GeneralRef(r) if in_text => {
                let name = r.xml10_content();
                let resolved = match name.as_ref() {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    other => other
                        .strip_prefix("#x")
                        .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                        .or_else(|| other.strip_prefix('#').and_then(|d| d.parse().ok()))
                        .and_then(char::from_u32),
                };
                if let Some(c) = resolved.filter(|c| *c != '\0') {
                    paragraph.text.push(c);
                }
            }
            Event::Text(t) if in_text => {
                let text = t.xml10_content();
                let marker = match (code, bold, italic) {
                    (true, _, _) => "`",
                    (_, true, true) => "***",
                    (_, true, false) => "**",
                    (_, false, true) => "*",
                    (_, false, false) => "",
                };
                if marker.is_empty() || text.trim().is_empty() || paragraph.code {
                    paragraph.text.push_str(&text);
                } else {
                    paragraph.text.push_str(&format!("{marker}{text}{marker}"));
                }
            }
            Event::End(e) => match e.local_name().into_inner() {
                "t" => in_text = false,
                "hyperlink" => {
                    if let Some((start, Some(target))) = link.take()
                        && start <= paragraph.text.len()
                    {
                        let text = paragraph.text.split_off(start);
                        if !text.trim().is_empty() {
                            paragraph.text.push_str(&format!("[{text}]({target})"));
                        }
                    }
                }
                "p" => {
                    let block = paragraph.block(parts);
                    let text = paragraph.text.trim_end().to_owned();
                    match tables
                        .last_mut()
                        .and_then(|t| t.rows.last_mut())
                        .and_then(|r| r.last_mut())
                    {
                        // In a table: one cell, its paragraphs on lines of their own.
                        Some(cell) if !text.is_empty() => {
                            if !cell.is_empty() {
                                cell.push_str("<br>");
                            }
                            cell.push_str(&text);
                        }
                        Some(_) => {}
                        None if !text.is_empty() || block == Block::Code => {
                            writer.block(block, &text)
                        }
                        None => {}
                    }
                    paragraph = Paragraph::new();
                }
                "tbl" => {
                    if let Some(table) = tables.pop() {
                        let markdown = table.markdown();
                        match tables
                            .last_mut()
                            .and_then(|t| t.rows.last_mut())
                            .and_then(|r| r.last_mut())
                        {
                            // A table inside a cell cannot be a Markdown table: its cells'
                            // text stays in the outer cell.
                            Some(cell) => {
                                let text: Vec<String> =
                                    table.rows.iter().map(|r| r.join(" · ")).collect();
                                if !cell.is_empty() {
                                    cell.push_str("<br>");
                                }
                                cell.push_str(&text.join("<br>"));
                            }
                            None if !table.rows.is_empty() => {
                                writer.block(Block::Paragraph, &markdown)
                            }
                            None => {}
                        }
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    Ok((writer.finish(), images))
}

fn attribute(e: &quick_xml::events::BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().into_inner() == name)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn docx_with(document_xml: &[u8]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("word/document.xml", options).unwrap();
        zip.write_all(document_xml).unwrap();
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn text_that_expands_past_the_limit_is_refused_not_cut() {
        let body = format!(
            "<w:document><w:body><w:p><w:r><w:t>{}</w:t></w:r></w:p></w:body></w:document>",
            "a".repeat(200_000)
        );
        let bytes = docx_with(body.as_bytes());
        assert!(bytes.len() < 10_000, "compresses well: {}", bytes.len());
        let refused = to_markdown(
            &bytes,
            Limits {
                max_expanded_bytes: 100_000,
            },
        )
        .unwrap_err();
        assert!(matches!(&refused, ImportError::TooLarge(m) if m.contains("100000")));
        let allowed = to_markdown(
            &bytes,
            Limits {
                max_expanded_bytes: 300_000,
            },
        )
        .unwrap();
        assert_eq!(allowed.trim().len(), 200_000);
    }

    const LIMITS: Limits = Limits {
        max_expanded_bytes: 10_000_000,
    };

    #[test]
    fn a_python_docx_file_keeps_its_lists_nesting_table_and_link() {
        let md = to_markdown(
            include_bytes!("../../tests/fixtures/python-docx.docx"),
            LIMITS,
        )
        .unwrap();
        assert_eq!(
            md,
            "# Plan 日本語\n\n\
             Some **bold** and *italic* text, Ελληνικά.\n\n\
             - first bullet\n  - nested bullet\n- second bullet\n\n1. numbered item\n\n\
             | a | b |\n| --- | --- |\n| 1 | two<br>lines |\n\n\
             See [the docs](https://example.com/docs)\n\n\
             The end.\n"
        );
    }

    #[test]
    fn a_pandoc_file_keeps_code_quotes_nested_lists_tables_and_links() {
        let md = to_markdown(include_bytes!("../../tests/fixtures/pandoc.docx"), LIMITS).unwrap();
        assert_eq!(
            md,
            "# Pandoc's document\n\n\
             A paragraph with `inline code` and a [link](https://example.org/page).\n\n\
             - one\n  - one and a half\n- two\n\n\
             1. first\n1. second\n\n\
             | key | value |\n| --- | --- |\n| α | 1 |\n| β | 2 |\n\n\
             ```\nfn main() {\n    println!(\"hi\");\n}\n```\n\n\
             > A quotation.\n"
        );
    }

    #[test]
    fn the_title_is_the_title_property_else_the_first_heading() {
        let bytes = include_bytes!("../../tests/fixtures/python-docx.docx");
        assert_eq!(
            title(bytes, "# Other\n").as_deref(),
            Some("Made by python-docx")
        );
        let bytes = include_bytes!("../../tests/fixtures/pandoc.docx");
        let md = to_markdown(bytes, LIMITS).unwrap();
        assert_eq!(title(bytes, &md).as_deref(), Some("Pandoc's document"));
        assert_eq!(title(&docx_with(b"<w:document/>"), "no heading\n"), None);
    }

    #[test]
    fn deeply_nested_xml_is_refused() {
        let body = format!(
            "<w:document>{}{}</w:document>",
            "<w:x>".repeat(50_000),
            "</w:x>".repeat(50_000)
        );
        let refused = to_markdown(
            &docx_with(body.as_bytes()),
            Limits {
                max_expanded_bytes: 10_000_000,
            },
        )
        .unwrap_err();
        assert!(matches!(&refused, ImportError::TooLarge(m) if m.contains("256")));
    }
}
