#!/usr/bin/env python3
"""Every reference in the documentation names something in the repository (issue 15).

Checks README.md, docs/**/*.md and helm/pgpart/README*.md:
1. Relative links [text](target) resolve to a file or folder, and a #fragment to a heading of the
   target Markdown file (GitHub's anchors); #fragment alone to a heading of the same file.
2. Repository paths written in code (`src/plan/`, `bench/plan_vs_partman.sh`, also inside fenced
   blocks): a word whose first part is a top-level entry of the repository must exist. Words with
   placeholders (<target>, *, {x}, $VAR, ...) are skipped.
3. A file name alone in code (`reader_convert.cc`, `operator.md`) with a source extension must be
   the name of some file of the repository.
4. Nothing mentions DESIGN.md or "DESIGN §": that blueprint is not part of the repository.
Usage: check_links.py SOURCE_DIR. Prints every problem as FILE:LINE: message; exits 1 on any.
"""
import os
import re
import subprocess
import sys

SOURCE_EXTENSIONS = (".md", ".cc", ".h", ".py", ".sh", ".lua", ".tpl", ".sql", ".go", ".in")
PLACEHOLDER = re.compile(r"[<>*{}$…|]|\.\.\.|^-")
LINK = re.compile(r"(?<!\!)\[(?:[^\]\[]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
CODE_SPAN = re.compile(r"(`+)(.+?)\1")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def repo_files(root):
    """Tracked and untracked (not ignored) files, relative to root."""
    try:
        out = subprocess.run(
            ["git", "-C", root, "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            check=True, capture_output=True).stdout.decode("utf-8", "replace")
        return [f for f in out.split("\0") if f and os.path.exists(os.path.join(root, f))]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d not in (".git", ".sandbox")
                           and not d.startswith("build")]
            for name in filenames:
                files.append(os.path.relpath(os.path.join(dirpath, name), root))
        return files


def doc_files(root):
    docs = ["README.md"]
    for dirpath, _, filenames in os.walk(os.path.join(root, "docs")):
        docs += [os.path.relpath(os.path.join(dirpath, f), root) for f in filenames
                 if f.endswith(".md")]
    helm = os.path.join(root, "helm", "pgpart")
    if os.path.isdir(helm):
        docs += [os.path.join("helm", "pgpart", f) for f in os.listdir(helm)
                 if f.upper().startswith("README") and f.endswith(".md")]
    return sorted(d for d in docs if os.path.isfile(os.path.join(root, d)))


def slug(text):
    """GitHub's anchor for a heading text (github-slugger)."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links keep their text
    text = text.replace("`", "").lower()
    text = re.sub(r"[^\w\- ]", "", text)  # \w: letters, digits, underscore (Unicode)
    return text.replace(" ", "-")


def anchors(path, cache={}):
    if path not in cache:
        seen, found, fenced = {}, set(), False
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.lstrip().startswith("```"):
                    fenced = not fenced
                    continue
                m = None if fenced else HEADING.match(line)
                if m:
                    base = slug(m.group(2))
                    n = seen.get(base, 0)
                    seen[base] = n + 1
                    found.add(base if n == 0 else f"{base}-{n}")
        cache[path] = found
    return cache[path]


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
    files = repo_files(root)
    top = {f.split("/")[0] for f in files}
    basenames = {os.path.basename(f) for f in files}
    problems = []

    def problem(doc, lineno, message):
        problems.append(f"{doc}:{lineno}: {message}")

    def check_path_word(doc, lineno, word):
        word = word.strip("\"'()[],;:.")  # sentence punctuation around a path
        word = re.sub(r"(:\d+)+$", "", word)  # a location: file:line:col
        if not word or PLACEHOLDER.search(word) or "://" in word:
            return
        first = word.split("/")[0]
        if "/" in word and first in top:
            if not os.path.exists(os.path.join(root, word)):
                problem(doc, lineno, f"`{word}` is not in the repository")
        elif "/" not in word and word.endswith(SOURCE_EXTENSIONS) and re.fullmatch(
                r"[\w.+-]+", word):
            if word not in basenames and word not in top:
                problem(doc, lineno, f"`{word}`: no file of that name in the repository")

    for doc in doc_files(root):
        path = os.path.join(root, doc)
        folder = os.path.dirname(path)
        fenced = False
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                if re.search(r"DESIGN(\.md|\s*§)", line):
                    problem(doc, lineno, "mentions DESIGN.md, which is not in the repository")
                if line.lstrip().startswith("```"):
                    fenced = not fenced
                    continue
                if fenced:
                    for word in line.split():
                        check_path_word(doc, lineno, word)
                    continue
                for span in CODE_SPAN.finditer(line):
                    for word in span.group(2).split():
                        check_path_word(doc, lineno, word)
                prose = CODE_SPAN.sub(lambda m: "x" * len(m.group(0)), line)
                for m in list(LINK.finditer(line)) + list(IMAGE.finditer(line)):
                    if prose[m.start()] == "x":
                        continue  # a link written inside code
                    target = m.group(1)
                    if re.match(r"^[a-z][a-z0-9+.-]*:", target):
                        continue  # https:, mailto:, ...
                    file_part, _, fragment = target.partition("#")
                    resolved = os.path.normpath(os.path.join(folder, file_part)) if file_part \
                        else path
                    if not resolved.startswith(root) or not os.path.exists(resolved):
                        problem(doc, lineno, f"link ({target}): no such file or folder")
                        continue
                    if fragment and resolved.endswith(".md") and os.path.isfile(resolved):
                        if fragment not in anchors(resolved):
                            problem(doc, lineno,
                                    f"link ({target}): no heading with anchor #{fragment} in "
                                    f"{os.path.relpath(resolved, root)}")
    for p in problems:
        print(p)
    print(f"{len(doc_files(root))} documents checked, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
