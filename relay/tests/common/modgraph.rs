//! A crate's module graph read from its sources as text: each file is a module, each path that
//! names another module of the crate (`crate::a::b`, `super::x`, `self::y`, or a child module)
//! is an edge to the deepest module it names, except to the file's own ancestors (`super::Db`
//! from `db::batch`, `crate::Sandbox` from anywhere), whose items a nested module sees by
//! design. Comments, string and character literals and the `#[cfg(test)]` module at the end of
//! a file are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

pub struct Graph {
    /// Module paths (`[]` the root), indexed.
    names: Vec<Vec<String>>,
    index: BTreeMap<Vec<String>, usize>,
    /// module → module it imports → the paths that tie them.
    edges: BTreeMap<usize, BTreeMap<usize, BTreeSet<String>>>,
}

impl Graph {
    pub fn read(src: &Path) -> Graph {
        let mut files = Vec::new();
        collect(src, src, &mut files);
        let mut graph = Graph {
            names: Vec::new(),
            index: BTreeMap::new(),
            edges: BTreeMap::new(),
        };
        let mut texts = Vec::new();
        for (module, path) in files {
            let text = code_only(&std::fs::read_to_string(&path).unwrap());
            graph.index.insert(module.clone(), graph.names.len());
            graph.names.push(module);
            texts.push(text);
        }
        for (from, text) in texts.iter().enumerate() {
            let here = graph.names[from].clone();
            for path in paths(text) {
                let Some(to) = graph.resolve(&here, &path) else {
                    continue;
                };
                // A module sees its ancestors' items by design (a child using what its parent
                // defines is how modules nest): only other edges can make a cycle.
                if !graph.names[from].starts_with(&graph.names[to]) {
                    graph
                        .edges
                        .entry(from)
                        .or_default()
                        .entry(to)
                        .or_default()
                        .insert(path.join("::"));
                }
            }
        }
        graph
    }

    pub fn modules(&self) -> usize {
        self.names.len()
    }

    pub fn name(&self, m: usize) -> String {
        match self.names[m].is_empty() {
            true => "crate".into(),
            false => self.names[m].join("::"),
        }
    }

    /// The module `path` leads to from `here`, when it names one of the crate's.
    fn resolve(&self, here: &[String], path: &[String]) -> Option<usize> {
        let (mut at, rest): (Vec<String>, &[String]) = match path.first()?.as_str() {
            "crate" => (Vec::new(), &path[1..]),
            "self" => (here.to_vec(), &path[1..]),
            "super" => {
                let mut at = here.to_vec();
                let mut rest = path;
                while rest.first().is_some_and(|s| s == "super") {
                    at.pop()?;
                    rest = &rest[1..];
                }
                (at, rest)
            }
            child => {
                let mut at = here.to_vec();
                at.push(child.to_owned());
                self.index.get(&at)?;
                (at, &path[1..])
            }
        };
        for segment in rest {
            let mut deeper = at.clone();
            deeper.push(segment.clone());
            if !self.index.contains_key(&deeper) {
                break;
            }
            at = deeper;
        }
        self.index.get(&at).copied()
    }

    /// Each strongly connected set of two modules or more, sorted.
    pub fn cycles(&self) -> Vec<Vec<usize>> {
        let n = self.names.len();
        let reach = |from: usize| {
            let mut seen = BTreeSet::from([from]);
            let mut todo = vec![from];
            while let Some(m) = todo.pop() {
                for &next in self.edges.get(&m).map(|e| e.keys()).into_iter().flatten() {
                    if seen.insert(next) {
                        todo.push(next);
                    }
                }
            }
            seen
        };
        let reaches: Vec<BTreeSet<usize>> = (0..n).map(reach).collect();
        let mut done = BTreeSet::new();
        let mut cycles = Vec::new();
        for m in 0..n {
            if done.contains(&m) {
                continue;
            }
            let set: Vec<usize> = (0..n)
                .filter(|&o| reaches[m].contains(&o) && reaches[o].contains(&m))
                .collect();
            done.extend(set.iter().copied());
            if set.len() > 1 {
                cycles.push(set);
            }
        }
        cycles
    }

    /// « a -> b (crate::b::Thing); b -> a (…) » for the edges inside a cycle.
    pub fn describe(&self, cycle: &[usize]) -> String {
        let mut parts = Vec::new();
        for &from in cycle {
            for (to, why) in self.edges.get(&from).into_iter().flatten() {
                if cycle.contains(to) {
                    let why: Vec<&str> = why.iter().map(String::as_str).collect();
                    parts.push(format!(
                        "{} -> {} ({})",
                        self.name(from),
                        self.name(*to),
                        why.join(", ")
                    ));
                }
            }
        }
        parts.join("; ")
    }
}

fn collect(src: &Path, dir: &Path, out: &mut Vec<(Vec<String>, std::path::PathBuf)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "bin") {
                collect(src, &path, out);
            }
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let rel = path.strip_prefix(src).unwrap().with_extension("");
        let mut module: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if matches!(
            module.last().map(String::as_str),
            Some("mod" | "lib" | "main")
        ) {
            module.pop();
        }
        if module.is_empty() && path.file_name().is_some_and(|n| n == "main.rs") {
            // A binary beside a library is a crate of its own above it.
            if src.join("lib.rs").exists() {
                continue;
            }
        }
        out.push((module, path));
    }
}

/// The text with comments, literals and the trailing test module blanked out.
fn code_only(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if c == 'r'
            && (next == Some('#') || next == Some('"'))
            && !ident_char(chars.get(i.wrapping_sub(1)).copied())
        {
            let mut hashes = 0;
            let mut j = i + 1;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= chars.len() {
                    break;
                }
                if chars[j] == '"' && (0..hashes).all(|h| chars.get(j + 1 + h) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' {
            // A character literal ('a', '\n', '"'), or a lifetime ('a) left as it is.
            let literal_end = match next {
                Some('\\') => chars[i + 2..]
                    .iter()
                    .position(|&c| c == '\'')
                    .map(|p| i + 3 + p),
                Some(_) if chars.get(i + 2) == Some(&'\'') => Some(i + 3),
                _ => None,
            };
            match literal_end {
                Some(end) => {
                    out.push_str("' '");
                    i = end;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_char(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// Every path of two segments or more, `use` trees expanded (`a::{b, c::d}` → `a::b`, `a::c::d`).
fn paths(text: &str) -> Vec<Vec<String>> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if ident_char(Some(chars[i]))
            && !ident_char(chars.get(i.wrapping_sub(1)).copied())
            && (i < 2 || !(chars[i - 1] == ':' && chars[i - 2] == ':'))
        {
            let (trees, end) = tree(&chars, i);
            for t in trees {
                if t.len() >= 2 {
                    out.push(t);
                }
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

/// The use tree starting at `i`: its expanded paths, and where it ends.
fn tree(chars: &[char], mut i: usize) -> (Vec<Vec<String>>, usize) {
    let mut prefix = Vec::new();
    loop {
        let start = i;
        while i < chars.len() && ident_char(Some(chars[i])) {
            i += 1;
        }
        if i == start {
            return (vec![prefix], i);
        }
        prefix.push(chars[start..i].iter().collect::<String>());
        if !(chars.get(i) == Some(&':') && chars.get(i + 1) == Some(&':')) {
            return (vec![prefix], i);
        }
        i += 2;
        if chars.get(i) == Some(&'*') {
            prefix.push("*".into());
            return (vec![prefix], i + 1);
        }
        if chars.get(i) == Some(&'{') {
            i += 1;
            let mut all = Vec::new();
            loop {
                while chars.get(i).is_some_and(|c| c.is_whitespace() || *c == ',') {
                    i += 1;
                }
                if i >= chars.len() || chars[i] == '}' {
                    return (all, i + 1);
                }
                let (subs, end) = tree(chars, i);
                for sub in subs {
                    let mut path = prefix.clone();
                    path.extend(sub.into_iter().filter(|s| s != "self"));
                    all.push(path);
                }
                // Skip `as name` and anything up to the next item of the group.
                i = end;
                while chars.get(i).is_some_and(|c| *c != ',' && *c != '}') {
                    i += 1;
                }
            }
        }
    }
}
