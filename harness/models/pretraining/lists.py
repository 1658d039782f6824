"""Task families over lists and graphs: sorting, counting, windows, binary search, components, shortest paths."""

from __future__ import annotations

import random

from harness.models.pretraining.tasks import THINGS, Task, fill, io_names, joined, numbers, pick_style, title_of

LIST_READ = {
    "all": "import sys\n\n$data = sys.stdin.read().split()\nn = int($data[0])\na = [int(x) for x in $data[1:1 + n]]\n",
    "lines": "n = int(input())\na = list(map(int, input().split()))\n",
}


def list_program(rng: random.Random, body: str, header: str = "") -> str:
    """A program that reads n and a list `a`, then runs `body`."""
    style = pick_style(rng)
    return fill(header + LIST_READ[style] + body, **io_names(rng))


def list_inputs(rng: random.Random, low: int = 1, high: int = 20) -> tuple[str, ...]:
    """One or two example inputs of the form `n` then `n` numbers."""
    inputs = []
    for _ in range(rng.randint(1, 2)):
        n = rng.randint(3, 7)
        inputs.append(f"{n}\n{joined(numbers(rng, n, low, high))}\n")
    return tuple(inputs)


LIST_FORMAT = ("The first line contains n (1 <= n <= 2*10^5). The second line contains n integers a_1, ..., a_n "
               "(1 <= a_i <= 10^9).")


def sort_list(rng: random.Random) -> Task:
    """Print the list sorted, in one direction or the other."""
    descending = rng.random() < 0.5
    body = "a.sort(reverse=True)\nprint(\" \".join(map(str, a)))\n" if descending else "print(*sorted(a))\n"
    order = "non-increasing" if descending else "non-decreasing"
    return Task(
        title=title_of(rng, ["Lining Up", "Ordered"]),
        description=f"Put n {rng.choice(THINGS)} with sizes a_1, ..., a_n into {order} order of size and print the sizes.",
        input_format=LIST_FORMAT, output_format=f"Print the n sizes in {order} order, separated by spaces.",
        think="Python's sort is O(n log n), which is enough. Then print the numbers on one line.",
        code=list_program(rng, body), inputs=list_inputs(rng))


def distinct_values(rng: random.Random) -> Task:
    """Distinct values, counted or listed."""
    listed = rng.random() < 0.5
    body = "print(*sorted(set(a)))\n" if listed else "print(len(set(a)))\n"
    what = "all different values in increasing order" if listed else "how many different values there are"
    return Task(
        title=title_of(rng, ["Different", "Unique"]),
        description=f"A collector owns n {rng.choice(THINGS)}, the i-th has colour a_i. Print {what}.",
        input_format=LIST_FORMAT, output_format="Print the answer.",
        think="A set keeps each value once, so the different values are exactly set(a).",
        code=list_program(rng, body), inputs=list_inputs(rng, 1, 6))


def most_frequent(rng: random.Random) -> Task:
    """The most common value, smallest on ties."""
    body = ("count = {}\nfor x in a:\n    count[x] = count.get(x, 0) + 1\n"
            "best = max(count.values())\nprint(min(x for x in count if count[x] == best))\n")
    return Task(
        title=title_of(rng, ["Popular", "Favourite"]),
        description=f"n children each chose a number a_i of {rng.choice(THINGS)}. Print the number chosen most often; "
        "if several numbers are chosen equally often, print the smallest of them.",
        input_format=LIST_FORMAT, output_format="Print one integer.",
        think="Count every value in a dictionary, find the highest count, and take the smallest value with it.",
        code=list_program(rng, body), inputs=list_inputs(rng, 1, 5))


def window_sum(rng: random.Random) -> Task:
    """Largest sum of k consecutive elements with a sliding window."""
    code = fill("""
import sys


def main():
    $data = sys.stdin.read().split()
    n, k = int($data[0]), int($data[1])
    a = [int(x) for x in $data[2:2 + n]]
    window = sum(a[:k])
    best = window
    for i in range(k, n):
        window += a[i] - a[i - k]
        best = max(best, window)
    print(best)


main()
""", **io_names(rng))
    n = rng.randint(4, 8)
    sample = f"{n} {rng.randint(1, n)}\n{joined(numbers(rng, n, -5, 20))}\n"
    return Task(
        title=title_of(rng, ["Best Stretch of", "Window of"]),
        description=f"A path has n positions, position i gives a_i {rng.choice(THINGS)} (possibly negative). "
        "Choose k consecutive positions with the largest total and print that total.",
        input_format="The first line contains n and k (1 <= k <= n <= 2*10^5). The second line contains a_1, ..., a_n.",
        output_format="Print the largest total.",
        think="Recomputing every window is O(n k). A sliding window adds the new element and drops the old one, O(n).",
        code=code, inputs=(sample,))


def count_at_most(rng: random.Random) -> Task:
    """Queries 'how many elements are at most x', answered with bisect after sorting."""
    code = fill("""
import sys
from bisect import bisect_right


def main():
    $data = sys.stdin.buffer.read().split()
    n, q = int($data[0]), int($data[1])
    a = sorted(int(x) for x in $data[2:2 + n])
    $out = [bisect_right(a, int(x)) for x in $data[2 + n:2 + n + q]]
    print("\\n".join(map(str, $out)))


main()
""", **io_names(rng))
    n, q = rng.randint(3, 7), rng.randint(2, 4)
    sample = f"{n} {q}\n{joined(numbers(rng, n, 1, 30))}\n" + "".join(f"{rng.randint(0, 32)}\n" for _ in range(q))
    return Task(
        title=title_of(rng, ["Cheap Enough", "Affordable"]),
        description=f"A shop sells n {rng.choice(THINGS)} with prices a_1, ..., a_n. For each of q budgets x, print "
        "how many items cost at most x.",
        input_format="The first line contains n and q. The second line contains the n prices. Each of the next q "
        "lines contains one budget x.",
        output_format="For each budget print the count.",
        think="Sort the prices once. For a budget x, bisect_right gives the number of prices <= x in O(log n).",
        code=code, inputs=(sample,))


def max_subarray(rng: random.Random) -> Task:
    """Kadane's maximum subarray sum."""
    body = "best = cur = a[0]\nfor x in a[1:]:\n    cur = max(x, cur + x)\n    best = max(best, cur)\nprint(best)\n"
    return Task(
        title=title_of(rng, ["Luckiest Run of", "Best Segment of"]),
        description="Given n integers, find the largest possible sum of a non-empty contiguous segment.",
        input_format="The first line contains n. The second line contains n integers (-10^9 <= a_i <= 10^9).",
        output_format="Print the largest segment sum.",
        think="Kadane's algorithm: keep the best sum of a segment ending here; it either extends or restarts at x.",
        code=list_program(rng, body), inputs=list_inputs(rng, -9, 9))


def pair_with_sum(rng: random.Random) -> Task:
    """Count index pairs with a given sum using a dictionary of counts."""
    code = fill("""
import sys


def main():
    $data = sys.stdin.read().split()
    n, k = int($data[0]), int($data[1])
    seen = {}
    total = 0
    for x in map(int, $data[2:2 + n]):
        total += seen.get(k - x, 0)
        seen[x] = seen.get(x, 0) + 1
    print(total)


main()
""", **io_names(rng))
    n = rng.randint(4, 7)
    sample = f"{n} {rng.randint(4, 10)}\n{joined(numbers(rng, n, 1, 8))}\n"
    return Task(
        title=title_of(rng, ["Matching", "Twin"]),
        description="Count the pairs of indices i < j such that a_i + a_j = k.",
        input_format="The first line contains n and k. The second line contains a_1, ..., a_n.",
        output_format="Print the number of pairs.",
        think="For each x, the partners seen before it are the earlier values k - x; a dictionary of counts gives "
        "them in O(1), so the whole scan is O(n).",
        code=code, inputs=(sample,))


def graph_inputs(rng: random.Random) -> str:
    """A small undirected graph: `n m` then m edges."""
    n = rng.randint(3, 6)
    edges = [(rng.randint(1, n), rng.randint(1, n)) for _ in range(rng.randint(1, n))]
    return f"{n} {len(edges)}\n" + "".join(f"{u} {v}\n" for u, v in edges)


def components(rng: random.Random) -> Task:
    """Connected components with a disjoint-set union."""
    code = fill("""
import sys


def main():
    $data = sys.stdin.read().split()
    n, m = int($data[0]), int($data[1])
    parent = list(range(n + 1))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    groups = n
    for i in range(m):
        u, v = find(int($data[2 + 2 * i])), find(int($data[3 + 2 * i]))
        if u != v:
            parent[u] = v
            groups -= 1
    print(groups)


main()
""", **io_names(rng))
    return Task(
        title=title_of(rng, ["Islands of", "Linked"]),
        description="There are n towns and m roads, each road joins two towns. How many groups of towns are there "
        "such that towns in one group are connected by roads and towns of different groups are not?",
        input_format="The first line contains n and m. Each of the next m lines contains two towns u and v.",
        output_format="Print the number of groups.",
        think="A disjoint-set union merges the two ends of every road; each successful merge removes one group. "
        "Path halving keeps find fast.",
        code=code, inputs=(graph_inputs(rng), graph_inputs(rng)))


def shortest_path(rng: random.Random) -> Task:
    """Breadth-first search distance from town 1 to town n."""
    code = fill("""
import sys
from collections import deque


def main():
    $data = sys.stdin.read().split()
    n, m = int($data[0]), int($data[1])
    adj = [[] for _ in range(n + 1)]
    for i in range(m):
        u, v = int($data[2 + 2 * i]), int($data[3 + 2 * i])
        adj[u].append(v)
        adj[v].append(u)
    dist = [-1] * (n + 1)
    dist[1] = 0
    queue = deque([1])
    while queue:
        u = queue.popleft()
        for v in adj[u]:
            if dist[v] == -1:
                dist[v] = dist[u] + 1
                queue.append(v)
    print(dist[n])


main()
""", **io_names(rng))
    return Task(
        title=title_of(rng, ["Shortest Road for", "Quick Trip with"]),
        description="n towns are joined by m two-way roads. Print the least number of roads on a trip from town 1 "
        "to town n, or -1 if town n cannot be reached.",
        input_format="The first line contains n and m. Each of the next m lines contains two towns u and v.",
        output_format="Print the number of roads, or -1.",
        think="All roads have the same length, so breadth-first search from town 1 gives the shortest distances.",
        code=code, inputs=(graph_inputs(rng), graph_inputs(rng)))


FAMILIES = [sort_list, distinct_values, most_frequent, window_sum, count_at_most, max_subarray, pair_with_sum,
            components, shortest_path]
