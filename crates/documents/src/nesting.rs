//! How deeply untrusted input may nest, and parsing that enforces it.
//!
//! Every converter that walks a tree built from user data (HTML → Markdown, Markdown → HTML,
//! DOCX, PDF) recurses or keeps a stack per level, and HTML tree building itself costs
//! O(depth) per tag (the "has an element in scope" checks). Twenty thousand nested `<span>`s
//! once overflowed a worker's stack and aborted the whole process. So nesting is bounded
//! where the input is first read:
//!
//! - HTML is parsed through [`parse_html`], which stops feeding the parser as soon as an
//!   element lands deeper than the limit and refuses the file ([`TooDeep`]).
//! - Markdown events pass through [`FlattenBeyond`], which drops the containers (quotes,
//!   lists, emphasis…) beyond the limit and keeps their text, so a document that nests too
//!   deeply still exports, with its deepest levels flattened.

use html5ever::interface::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::{Attribute, ExpandedName, QualName};
use markup5ever_rcdom::{Handle, Node, NodeData, RcDom};
use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};

/// Deepest element nesting accepted in imported HTML. Real pages and office exports stay
/// well under 50 levels; quoted e-mail threads reach about 100.
pub const MAX_HTML_DEPTH: usize = 256;

/// Deepest nesting of Markdown containers (quotes, lists, emphasis, links) that exports
/// render as such; deeper levels are flattened into their parent.
pub const MAX_MARKDOWN_DEPTH: usize = 64;

/// Input nested more deeply than a limit allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("elements are nested more than {limit} levels deep")]
pub struct TooDeep {
    /// The limit that was passed.
    pub limit: usize,
}

/// Parses an HTML document, refusing it once any element would sit more than `limit`
/// levels below the document.
///
/// The parser is fed in chunks and the depth checked after each one, so the work done on
/// a hostile file before it is refused is bounded by one chunk.
pub fn parse_html(html: &str, limit: usize) -> Result<RcDom, TooDeep> {
    const CHUNK: usize = 16 * 1024;
    let sink = Bounded {
        dom: RcDom::default(),
        limit,
        exceeded: Cell::new(false),
        templates: RefCell::default(),
    };
    let mut parser = html5ever::parse_document(sink, html5ever::ParseOpts::default());
    let mut rest = html;
    while !rest.is_empty() {
        let mut end = rest.len().min(CHUNK);
        while !rest.is_char_boundary(end) {
            end += 1;
        }
        parser.process(StrTendril::from_slice(&rest[..end]));
        if parser.tokenizer.sink.sink.exceeded.get() {
            return Err(TooDeep { limit });
        }
        rest = &rest[end..];
    }
    let dom = parser.finish();
    // Appends are checked as they happen; moves of whole subtrees (the adoption agency
    // algorithm for misnested formatting) are not, so measure the finished tree once.
    if depth(&dom.document) > limit {
        return Err(TooDeep { limit });
    }
    Ok(dom)
}

/// The depth of the deepest element under `root` (its children are at depth 1), measured
/// without recursion.
pub fn depth(root: &Handle) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(root.clone(), 0usize)];
    while let Some((node, level)) = stack.pop() {
        deepest = deepest.max(level);
        let mut children: Vec<Handle> = node.children.borrow().clone();
        // A template's contents hang off it as a separate fragment, not as children.
        if let NodeData::Element {
            template_contents, ..
        } = &node.data
            && let Some(fragment) = template_contents.borrow().as_ref()
        {
            children.extend(fragment.children.borrow().iter().cloned());
        }
        for child in children {
            if matches!(child.data, NodeData::Element { .. }) {
                stack.push((child, level + 1));
            }
        }
    }
    deepest
}

fn parent_of(node: &Handle) -> Option<Handle> {
    let weak = node.parent.take();
    node.parent.set(weak.clone());
    weak.and_then(|w| w.upgrade())
}

/// An [`RcDom`] that notes when an element is appended deeper than `limit`.
struct Bounded {
    dom: RcDom,
    limit: usize,
    exceeded: Cell<bool>,
    /// Each template's contents fragment (by address) and the template it belongs to, so
    /// nesting through templates counts like any other.
    templates: RefCell<HashMap<*const Node, Weak<Node>>>,
}

impl Bounded {
    /// Depth of `node` below the document, counting at most up to `cap`.
    fn depth_of(&self, node: &Handle, cap: usize) -> usize {
        let mut level = 0;
        let mut current = node.clone();
        while level <= cap {
            let next = parent_of(&current).or_else(|| {
                let templates = self.templates.borrow();
                templates.get(&Rc::as_ptr(&current)).and_then(Weak::upgrade)
            });
            let Some(next) = next else { break };
            level += 1;
            current = next;
        }
        level
    }

    fn check(&self, parent: &Handle, child: &NodeOrText<Handle>) {
        if let NodeOrText::AppendNode(node) = child
            && matches!(node.data, NodeData::Element { .. })
            && self.depth_of(parent, self.limit) + 1 > self.limit
        {
            self.exceeded.set(true);
        }
    }
}

impl TreeSink for Bounded {
    type Handle = Handle;
    type Output = RcDom;
    type ElemName<'a> = ExpandedName<'a>;

    fn finish(self) -> RcDom {
        self.dom
    }
    fn parse_error(&self, _msg: Cow<'static, str>) {}
    fn get_document(&self) -> Handle {
        self.dom.get_document()
    }
    fn elem_name<'a>(&'a self, target: &'a Handle) -> ExpandedName<'a> {
        self.dom.elem_name(target)
    }
    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, flags: ElementFlags) -> Handle {
        let element = self.dom.create_element(name, attrs, flags);
        if let NodeData::Element {
            template_contents, ..
        } = &element.data
            && let Some(fragment) = template_contents.borrow().as_ref()
        {
            self.templates
                .borrow_mut()
                .insert(Rc::as_ptr(fragment), Rc::downgrade(&element));
        }
        element
    }
    fn create_comment(&self, text: StrTendril) -> Handle {
        self.dom.create_comment(text)
    }
    fn create_pi(&self, target: StrTendril, data: StrTendril) -> Handle {
        self.dom.create_pi(target, data)
    }
    fn append(&self, parent: &Handle, child: NodeOrText<Handle>) {
        self.check(parent, &child);
        self.dom.append(parent, child);
    }
    fn append_based_on_parent_node(
        &self,
        element: &Handle,
        prev_element: &Handle,
        child: NodeOrText<Handle>,
    ) {
        self.check(prev_element, &child);
        self.dom
            .append_based_on_parent_node(element, prev_element, child);
    }
    fn append_doctype_to_document(
        &self,
        name: StrTendril,
        public_id: StrTendril,
        system_id: StrTendril,
    ) {
        self.dom
            .append_doctype_to_document(name, public_id, system_id);
    }
    fn get_template_contents(&self, target: &Handle) -> Handle {
        self.dom.get_template_contents(target)
    }
    fn same_node(&self, x: &Handle, y: &Handle) -> bool {
        self.dom.same_node(x, y)
    }
    fn set_quirks_mode(&self, mode: QuirksMode) {
        self.dom.set_quirks_mode(mode);
    }
    fn append_before_sibling(&self, sibling: &Handle, new_node: NodeOrText<Handle>) {
        if let Some(parent) = sibling.parent.take() {
            sibling.parent.set(Some(parent.clone()));
            if let Some(parent) = parent.upgrade() {
                self.check(&parent, &new_node);
            }
        }
        self.dom.append_before_sibling(sibling, new_node);
    }
    fn add_attrs_if_missing(&self, target: &Handle, attrs: Vec<Attribute>) {
        self.dom.add_attrs_if_missing(target, attrs);
    }
    fn remove_from_parent(&self, target: &Handle) {
        self.dom.remove_from_parent(target);
    }
    fn reparent_children(&self, node: &Handle, new_parent: &Handle) {
        self.dom.reparent_children(node, new_parent);
    }
    fn is_mathml_annotation_xml_integration_point(&self, handle: &Handle) -> bool {
        self.dom.is_mathml_annotation_xml_integration_point(handle)
    }
    fn maybe_clone_an_option_into_selectedcontent(&self, option: &Handle) {
        self.dom.maybe_clone_an_option_into_selectedcontent(option);
    }
}

/// Markdown events with every container beyond `limit` levels removed (its text stays,
/// in its parent).
///
/// Start and end events are matched by depth, so the output is balanced whenever the
/// input is.
#[derive(Debug)]
pub struct FlattenBeyond<I> {
    events: I,
    limit: usize,
    depth: usize,
}

impl<I> FlattenBeyond<I> {
    /// Wraps `events`.
    pub fn new(events: I, limit: usize) -> Self {
        Self {
            events,
            limit,
            depth: 0,
        }
    }
}

impl<'a, I: Iterator<Item = pulldown_cmark::Event<'a>>> Iterator for FlattenBeyond<I> {
    type Item = pulldown_cmark::Event<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        use pulldown_cmark::Event;
        loop {
            let event = self.events.next()?;
            match &event {
                Event::Start(_) => {
                    self.depth += 1;
                    if self.depth > self.limit {
                        continue;
                    }
                }
                Event::End(_) => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth >= self.limit {
                        continue;
                    }
                }
                _ => {}
            }
            return Some(event);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(tag: &str, levels: usize) -> String {
        format!(
            "<html><body>{}x{}</body></html>",
            format!("<{tag}>").repeat(levels),
            format!("</{tag}>").repeat(levels)
        )
    }

    #[test]
    fn html_within_the_limit_parses_and_deeper_html_is_refused() {
        // html > body > span…: two levels above the first span.
        assert!(parse_html(&nested("span", 100), 102).is_ok());
        assert_eq!(
            parse_html(&nested("span", 101), 102).err(),
            Some(TooDeep { limit: 102 })
        );
        assert!(parse_html(&nested("div", 50_000), MAX_HTML_DEPTH).is_err());
    }

    #[test]
    fn nesting_through_templates_counts() {
        assert!(parse_html(&nested("template", 20_000), MAX_HTML_DEPTH).is_err());
        let dom = parse_html(&nested("template", 50), MAX_HTML_DEPTH).unwrap();
        assert!(depth(&dom.document) > 50);
    }

    #[test]
    fn unclosed_paragraphs_and_list_items_do_not_count_as_nesting() {
        let html = "<p>a".repeat(10_000) + &"<li>b".repeat(10_000);
        assert!(parse_html(&html, 10).is_ok());
    }

    #[test]
    fn misnested_formatting_is_measured_after_the_adoption_agency() {
        let html = "<b><p>x</b>y".repeat(5_000);
        let result = parse_html(&html, MAX_HTML_DEPTH);
        if let Ok(dom) = result {
            assert!(depth(&dom.document) <= MAX_HTML_DEPTH);
        }
    }

    #[test]
    fn markdown_containers_beyond_the_limit_are_flattened_and_balanced() {
        use pulldown_cmark::{Event, Parser};
        let markdown = ">".repeat(1_000) + " deep";
        let events: Vec<Event> = FlattenBeyond::new(Parser::new(&markdown), 10).collect();
        let (mut depth, mut deepest) = (0i64, 0i64);
        for event in &events {
            match event {
                Event::Start(_) => depth += 1,
                Event::End(_) => depth -= 1,
                _ => {}
            }
            deepest = deepest.max(depth);
        }
        assert_eq!(depth, 0);
        assert_eq!(deepest, 10);
        assert!(
            events
                .iter()
                .any(|e| matches!(e, Event::Text(t) if t.as_ref() == "deep"))
        );
    }
}
