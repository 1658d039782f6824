"""Task families over integers: pairs, arrays, queries, digits and sequences."""

from __future__ import annotations

import random

from harness.models.pretraining.tasks import PEOPLE, THINGS, Task, fill, io_names, joined, numbers, pick_style, title_of

PAIR_OPS = [  # (what to print, Python expression, title word)
    ("the sum a + b", "a + b", "Pair Sum of"),
    ("the difference a - b", "a - b", "Difference of"),
    ("the product a * b", "a * b", "Product of"),
    ("the larger of the two numbers", "max(a, b)", "Larger"),
    ("the smaller of the two numbers", "min(a, b)", "Smaller"),
    ("the integer quotient a // b", "a // b", "Sharing"),
    ("the remainder of a divided by b", "a % b", "Leftover"),
    ("the absolute difference |a - b|", "abs(a - b)", "Distance Between"),
]

ARRAY_OPS = [  # (what to print, expression over the list a, reasoning)
    ("the sum of all numbers", "sum(a)", "The answer is the sum of the list."),
    ("the largest number", "max(a)", "The answer is the maximum of the list."),
    ("the smallest number", "min(a)", "The answer is the minimum of the list."),
    ("how many numbers are even", "sum(1 for x in a if x % 2 == 0)", "Count the elements with x % 2 == 0."),
    ("how many numbers are odd", "sum(1 for x in a if x % 2 == 1)", "Count the elements with x % 2 == 1."),
    ("the difference between the largest and the smallest number", "max(a) - min(a)", "Subtract min(a) from max(a)."),
    ("the sum of the squares of the numbers", "sum(x * x for x in a)", "Add up x * x over the list."),
    ("how many numbers are larger than the first one", "sum(1 for x in a if x > a[0])", "Compare every x with a[0]."),
]


def pair_ops(rng: random.Random) -> Task:
    """Independent pairs (t of them), one arithmetic answer per pair."""
    phrase, expr, word = rng.choice(PAIR_OPS)
    style, names = pick_style(rng), io_names(rng)
    if style == "all":
        code = fill("""
import sys


def main():
    $data = sys.stdin.buffer.read().split()
    t = int($data[0])
    $out = []
    for i in range(t):
        a = int($data[1 + 2 * i])
        b = int($data[2 + 2 * i])
        $out.append(str($expr))
    print("\\n".join($out))


main()
""", expr=expr, **names)
    else:
        code = fill("""
t = int(input())
for _ in range(t):
    a, b = map(int, input().split())
    print($expr)
""", expr=expr)
    inputs = []
    for _ in range(rng.randint(1, 2)):
        t = rng.randint(2, 4)
        inputs.append(f"{t}\n" + "".join(f"{joined(numbers(rng, 2, 1, 60))}\n" for _ in range(t)))
    thing = rng.choice(THINGS)
    return Task(
        title=title_of(rng, [word], thing),
        description=f"{rng.choice(PEOPLE).capitalize()} has t pairs of piles of {thing}. The first pile of a pair "
        f"holds a {thing} and the second holds b {thing}. For every pair, print {phrase}.",
        input_format="The first line contains an integer t (1 <= t <= 10^4) - the number of pairs.\n"
        "Each of the next t lines contains two integers a and b (1 <= a, b <= 10^9).",
        output_format=f"For each pair print one line with {phrase}.",
        think=f"Every pair is independent, so I handle them one by one. The answer for a pair is {expr}. "
        "Python integers never overflow, so no care is needed for large values.",
        code=code, inputs=tuple(inputs))


def array_reduce(rng: random.Random) -> Task:
    """One list of n integers reduced to one number."""
    phrase, expr, reason = rng.choice(ARRAY_OPS)
    style, names = pick_style(rng), io_names(rng)
    if style == "all":
        code = fill("""
import sys


def main():
    $data = sys.stdin.read().split()
    n = int($data[0])
    a = [int(x) for x in $data[1:1 + n]]
    print($expr)


main()
""", expr=expr, **names)
    else:
        code = fill("""
n = int(input())
a = list(map(int, input().split()))
print($expr)
""", expr=expr)
    inputs = []
    for _ in range(rng.randint(1, 2)):
        n = rng.randint(3, 7)
        inputs.append(f"{n}\n{joined(numbers(rng, n, -20, 50))}\n")
    thing = rng.choice(THINGS)
    return Task(
        title=title_of(rng, ["Counting", "Checking", "Weighing", "Sorting Out"], thing),
        description=f"There are n bags in a row and bag i has a weight of a_i grams of {thing} (a weight may be "
        f"negative after a faulty scale). Print {phrase}.",
        input_format="The first line contains an integer n (1 <= n <= 2*10^5).\n"
        "The second line contains n integers a_1, ..., a_n (-10^9 <= a_i <= 10^9).",
        output_format="Print one integer.",
        think=f"Read n and the list. {reason} One pass over the list is O(n), fast enough.",
        code=code, inputs=tuple(inputs))


def ceil_boxes(rng: random.Random) -> Task:
    """How many containers of size k hold n items: the integer ceiling."""
    thing, names = rng.choice(THINGS), io_names(rng)
    code = fill("""
import sys


def main():
    $data = sys.stdin.read().split()
    t = int($data[0])
    $out = []
    for i in range(t):
        n, k = int($data[2 * i + 1]), int($data[2 * i + 2])
        $out.append(str((n + k - 1) // k))
    sys.stdout.write("\\n".join($out) + "\\n")


main()
""", **names)
    t = rng.randint(2, 4)
    sample = f"{t}\n" + "".join(f"{rng.randint(1, 40)} {rng.randint(1, 9)}\n" for _ in range(t))
    return Task(
        title=title_of(rng, ["Packing", "Crates of", "Carrying"], thing),
        description=f"A truck carries n {thing}. They are packed into crates, and one crate holds at most k {thing}. "
        "What is the smallest number of crates needed? Answer t such questions.",
        input_format="The first line contains t (1 <= t <= 1000). Each of the next t lines contains n and k "
        "(1 <= n, k <= 10^18).",
        output_format="For each question print the number of crates.",
        think="The answer is the ceiling of n / k. Floating point division loses precision for large n, "
        "so I use the integer form (n + k - 1) // k.",
        code=code, inputs=(sample,))


def gcd_pairs(rng: random.Random) -> Task:
    """Greatest common divisor or least common multiple of pairs."""
    use_lcm = rng.random() < 0.5
    expr = "a * b // gcd(a, b)" if use_lcm else "gcd(a, b)"
    what = "least common multiple" if use_lcm else "greatest common divisor"
    code = fill("""
from math import gcd

t = int(input())
for _ in range(t):
    a, b = map(int, input().split())
    print($expr)
""", expr=expr)
    t = rng.randint(2, 4)
    sample = f"{t}\n" + "".join(f"{rng.randint(2, 30) * rng.randint(1, 6)} {rng.randint(2, 30)}\n" for _ in range(t))
    return Task(
        title=title_of(rng, ["Common", "Shared"]),
        description=f"For each of t pairs of positive integers a and b, print their {what}.",
        input_format="The first line contains t (1 <= t <= 10^4). Each of the next t lines holds a and b "
        "(1 <= a, b <= 10^9).",
        output_format=f"For each pair print the {what}.",
        think=f"math.gcd gives the greatest common divisor quickly. The answer is {expr}.",
        code=code, inputs=(sample,))


def prefix_queries(rng: random.Random) -> Task:
    """Range sums answered with a prefix-sum array."""
    names = io_names(rng)
    code = fill("""
import sys


def main():
    $data = sys.stdin.buffer.read().split()
    n, q = int($data[0]), int($data[1])
    prefix = [0] * (n + 1)
    for i in range(n):
        prefix[i + 1] = prefix[i] + int($data[2 + i])
    pos = 2 + n
    $out = []
    for _ in range(q):
        l, r = int($data[pos]), int($data[pos + 1])
        pos += 2
        $out.append(prefix[r] - prefix[l - 1])
    print("\\n".join(map(str, $out)))


main()
""", **names)
    n, q = rng.randint(4, 7), rng.randint(2, 3)
    queries = []
    for _ in range(q):
        left = rng.randint(1, n)
        queries.append(f"{left} {rng.randint(left, n)}\n")
    sample = f"{n} {q}\n{joined(numbers(rng, n, 1, 30))}\n" + "".join(queries)
    return Task(
        title=title_of(rng, ["Range", "Segment", "Shelf"]),
        description=f"{rng.choice(THINGS).capitalize()} are laid out in n cells, cell i holds a_i of them. "
        "Answer q questions: how many are there in the cells l to r inclusive?",
        input_format="The first line contains n and q (1 <= n, q <= 2*10^5). The second line contains a_1, ..., a_n. "
        "Each of the next q lines contains l and r (1 <= l <= r <= n).",
        output_format="For each question print the total.",
        think="Summing every range directly is O(n q), too slow. With prefix sums, prefix[i] is the sum of the "
        "first i cells, and the answer is prefix[r] - prefix[l - 1] in O(1).",
        code=code, inputs=(sample,))


def digit_work(rng: random.Random) -> Task:
    """Per-number digit manipulations."""
    options = [("the sum of its digits", "sum(int(c) for c in s)"), ("the number of its digits", "len(s)"),
               ("the number written backwards, without leading zeros", "int(s[::-1])"),
               ("the largest digit", "max(s)")]
    phrase, expr = rng.choice(options)
    code = fill("""
import sys

$out = []
for s in sys.stdin.read().split()[1:]:
    $out.append(str($expr))
print("\\n".join($out))
""", expr=expr, **io_names(rng))
    t = rng.randint(2, 4)
    sample = f"{t}\n" + "".join(f"{rng.randint(1, 99999)}\n" for _ in range(t))
    return Task(
        title=title_of(rng, ["Digits of", "Numbered"]),
        description=f"You are given t positive integers. For each of them print {phrase}.",
        input_format="The first line contains t (1 <= t <= 10^4). Each of the next t lines contains one integer "
        "x (1 <= x <= 10^18).",
        output_format="Print t lines, one answer each.",
        think="Working on the decimal string is simplest: read each number as text and look at its characters.",
        code=code, inputs=(sample,))


def sequence_value(rng: random.Random) -> Task:
    """A value defined by a loop over 1..n, taken modulo a prime."""
    fibonacci = "a, b = 0, 1\nfor _ in range(n):\n    a, b = b, (a + b) % MOD\nprint(a)"
    options = [("the n-th Fibonacci number (F_1 = F_2 = 1)", fibonacci),
               ("n factorial", "r = 1\nfor i in range(2, n + 1):\n    r = r * i % MOD\nprint(r)"),
               ("2 to the power n", "print(pow(2, n, MOD))"),
               ("the sum 1 + 2 + ... + n", "print(n * (n + 1) // 2 % MOD)")]
    phrase, body = rng.choice(options)
    code = fill("""
MOD = 10**9 + 7

n = int(input())
$body
""", body=body)
    return Task(
        title=title_of(rng, ["Growing", "Doubling", "Stacking"]),
        description=f"Compute {phrase}, modulo 10^9 + 7.",
        input_format="The only line contains an integer n (1 <= n <= 10^6).",
        output_format="Print the answer modulo 10^9 + 7.",
        think="A single loop up to n is fast enough; I reduce modulo 10^9 + 7 at every step to keep numbers small.",
        code=code, inputs=(f"{rng.randint(1, 25)}\n", f"{rng.randint(1, 25)}\n"))


FAMILIES = [pair_ops, array_reduce, ceil_boxes, gcd_pairs, prefix_queries, digit_work, sequence_value]
