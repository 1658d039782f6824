"""Task families over strings, grids and yes/no questions."""

from __future__ import annotations

import random

from harness.models.pretraining.tasks import PEOPLE, THINGS, Task, fill, io_names, numbers, title_of

LETTERS = "abcdefghijklmnopqrstuvwxyz"
WORDS = ["river", "stone", "apple", "moon", "garden", "paper", "window", "cloud", "tiger", "lemon", "road", "music",
         "pixel", "orbit", "candle", "forest", "silver", "puzzle", "rocket", "bridge"]

STRING_OPS = [  # (what to print, expression over the string s)
    ("the number of vowels in s", "sum(1 for c in s if c in \"aeiou\")"),
    ("s written backwards", "s[::-1]"),
    ("YES if s is a palindrome and NO otherwise", "\"YES\" if s == s[::-1] else \"NO\""),
    ("s in upper case", "s.upper()"),
    ("the number of different letters in s", "len(set(s))"),
    ("the first letter of s that occurs only once, or -1", "next((c for c in s if s.count(c) == 1), -1)"),
]

YES_NO = [  # (condition in words, Python condition over a, b, c)
    ("a + b = c", "a + b == c"),
    ("the three lengths a, b and c can form a triangle of positive area", "a + b > c and a + c > b and b + c > a"),
    ("a is divisible by b", "a % b == 0"),
    ("a, b and c are all different", "len({a, b, c}) == 3"),
    ("a < b < c", "a < b < c"),
]


def random_word(rng: random.Random) -> str:
    """A lower-case string, sometimes a real word, sometimes a palindrome."""
    roll = rng.random()
    if roll < 0.3:
        return rng.choice(WORDS)
    word = "".join(rng.choice(LETTERS[:6]) for _ in range(rng.randint(3, 8)))
    return word + word[-2::-1] if roll < 0.5 else word


def string_ops(rng: random.Random) -> Task:
    """One property or transformation of one string per test."""
    phrase, expr = rng.choice(STRING_OPS)
    multi = rng.random() < 0.5
    if multi:
        code = fill("""
t = int(input())
for _ in range(t):
    s = input().strip()
    print($expr)
""", expr=expr)
        t = rng.randint(2, 4)
        inputs: tuple[str, ...] = (f"{t}\n" + "".join(f"{random_word(rng)}\n" for _ in range(t)),)
        shape = "The first line contains t (1 <= t <= 100). Each of the next t lines contains a string s"
    else:
        code = fill("""
import sys

s = sys.stdin.readline().strip()
print($expr)
""", expr=expr)
        inputs = (f"{random_word(rng)}\n", f"{random_word(rng)}\n")
        shape = "The only line contains a string s"
    return Task(
        title=title_of(rng, ["Letters on", "Word Game with"]),
        description=f"{rng.choice(PEOPLE).capitalize()} wrote a word s of lower-case letters. Print {phrase}.",
        input_format=f"{shape} of 1 to 100 lower-case English letters.",
        output_format="Print the answer" + (" for each string on its own line." if multi else "."),
        think=f"Strings are easy in Python: the answer is {expr}.",
        code=code, inputs=inputs)


def yes_no(rng: random.Random) -> Task:
    """Triples of integers (t of them), a YES/NO answer per triple."""
    words, condition = rng.choice(YES_NO)
    names = io_names(rng)
    code = fill("""
import sys


def main():
    $data = sys.stdin.read().split()
    t = int($data[0])
    $out = []
    for i in range(t):
        a, b, c = map(int, $data[1 + 3 * i:4 + 3 * i])
        $out.append("YES" if $condition else "NO")
    print("\\n".join($out))


main()
""", condition=condition, **names)
    t = rng.randint(2, 5)
    sample = f"{t}\n" + "".join(" ".join(map(str, numbers(rng, 3, 1, 9))) + "\n" for _ in range(t))
    return Task(
        title=title_of(rng, ["Fair", "Balanced", "Lucky"]),
        description=f"For each of t triples of positive integers a, b, c, say whether {words}.",
        input_format="The first line contains t (1 <= t <= 10^4). Each of the next t lines contains a, b and c "
        "(1 <= a, b, c <= 10^9).",
        output_format="For each triple print YES or NO.",
        think=f"Each triple is checked on its own: the answer is YES exactly when {condition}.",
        code=code, inputs=(sample,))


def word_line(rng: random.Random) -> Task:
    """Work on the words of one line."""
    options = [("the longest word (the first one if there are several)", "max(words, key=len)"),
               ("the number of words", "len(words)"),
               ("the words in reverse order", "\" \".join(reversed(words))"),
               ("every word with its first letter in upper case", "\" \".join(w.capitalize() for w in words)")]
    phrase, expr = rng.choice(options)
    code = fill("""
words = input().split()
print($expr)
""", expr=expr)
    inputs = tuple(" ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 5))) + "\n" for _ in range(2))
    return Task(
        title=title_of(rng, ["Sentence About", "Headline on"]),
        description=f"A line of text contains words separated by single spaces. Print {phrase}.",
        input_format="The only line contains 1 to 100 words of lower-case letters.",
        output_format="Print the answer.",
        think="str.split() gives the words; then the answer is " + expr + ".",
        code=code, inputs=inputs)


def brackets(rng: random.Random) -> Task:
    """Balanced round brackets, checked with a running depth."""
    code = fill("""
import sys


def balanced(s):
    depth = 0
    for c in s:
        depth += 1 if c == "(" else -1
        if depth < 0:
            return False
    return depth == 0


def main():
    $data = sys.stdin.read().split()
    $out = ["YES" if balanced(s) else "NO" for s in $data[1:]]
    print("\\n".join($out))


main()
""", **io_names(rng))
    t = rng.randint(2, 4)
    sample = f"{t}\n" + "".join("".join(rng.choice("()") for _ in range(rng.choice([2, 4, 6]))) + "\n" for _ in range(t))
    return Task(
        title=title_of(rng, ["Brackets and", "Nested"]),
        description="A string of round brackets is balanced if brackets can be matched in pairs, each '(' before its "
        "')'. For each of t strings print YES if it is balanced and NO otherwise.",
        input_format="The first line contains t. Each of the next t lines contains a non-empty string of '(' and ')'.",
        output_format="For each string print YES or NO.",
        think="Keep the depth: +1 for '(' and -1 for ')'. The string is balanced if the depth never drops below "
        "zero and ends at zero.",
        code=code, inputs=(sample,))


def grid_count(rng: random.Random) -> Task:
    """Count marked cells or marked rows of a character grid."""
    rows_only = rng.random() < 0.5
    body = "print(sum(1 for row in grid if \"#\" in row))" if rows_only else "print(sum(row.count(\"#\") for row in grid))"
    code = fill("""
n, m = map(int, input().split())
grid = [input() for _ in range(n)]
$body
""", body=body)
    n, m = rng.randint(2, 4), rng.randint(2, 5)
    sample = f"{n} {m}\n" + "".join("".join(rng.choice(".#.") for _ in range(m)) + "\n" for _ in range(n))
    what = "how many rows contain at least one" if rows_only else "how many cells contain"
    return Task(
        title=title_of(rng, ["Field of", "Map of"]),
        description=f"A field is a grid of n rows and m columns; '#' marks a cell with {rng.choice(THINGS)} and '.' an "
        f"empty one. Print {what} '#'.",
        input_format="The first line contains n and m (1 <= n, m <= 1000). Each of the next n lines contains m "
        "characters '#' or '.'.",
        output_format="Print one integer.",
        think="Read the rows as strings and count with str.count or a membership test.",
        code=code, inputs=(sample,))


FAMILIES = [string_ops, yes_no, word_line, brackets, grid_count]
