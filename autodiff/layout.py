"""A layered layout of a directed graph (Sugiyama's method), for drawing graphs without Graphviz.

The steps are those of Graphviz's ``dot`` (Gansner, Koutsofios, North and Vo, "A technique for
drawing directed graphs", 1993), each in its simplest form that draws computation graphs well:

1. ranks: the longest path from the sources, then every node moved as close to its successors as
   they allow (so an input or a constant sits next to the op that reads it);
2. an edge longer than one rank gets a chain of virtual nodes; a labelled edge's label is one;
3. order within ranks: barycentre sweeps down and up, keeping the order with fewest crossings; a
   cluster's members stay together in every rank;
4. coordinates: ranks spaced by their thickest node; within a rank, each node as near the mean of
   its neighbours as the separations allow (an isotonic regression: exact, and linear in the rank);
5. edges: through their virtual nodes, as curves that leave and enter along the rank direction.

Sizes and coordinates are in points; y grows downwards (as in SVG).

>>> placed = layout([Item("a", 40, 20), Item("b", 40, 20)], [Link("a", "b")], rankdir="LR")
>>> placed.positions["a"][0] < placed.positions["b"][0], placed.positions["a"][1] == placed.positions["b"][1]
(True, True)
"""

from __future__ import annotations

from dataclasses import dataclass, field

SWEEPS = 12  # barycentre sweeps (down and up) when ordering the ranks
PLACEMENTS = 8  # coordinate sweeps
VIRTUAL_WEIGHT = 8.0  # how strongly a virtual node is pulled into line: long edges come out straight


@dataclass
class Item:
    """A node to place: its name, its size, and the cluster it belongs to (if any)."""

    name: str
    width: float
    height: float
    cluster: str | None = None


@dataclass
class Link:
    """An edge; ``label`` is the size (width, height) of its label, if it has one."""

    tail: str
    head: str
    label: tuple[float, float] | None = None


@dataclass
class Layout:
    width: float
    height: float
    positions: dict[str, tuple[float, float]]  # node centres
    routes: list[list[tuple[float, float]]]  # per link: tail centre, virtual nodes, head centre
    labels: list[tuple[float, float] | None]  # per link: its label's centre
    clusters: dict[str, list[tuple[float, float]]] = field(default_factory=dict)  # outlines; label at the first corner
    rankdir: str = "TB"


def layout(items: list[Item], links: list[Link], rankdir: str = "TB", nodesep: float = 18.0,
           ranksep: float = 36.0, cluster_parents: dict[str, str | None] | None = None,
           cluster_labels: dict[str, tuple[float, float]] | None = None, padding: float = 8.0) -> Layout:
    """Place ``items`` and route ``links`` (see the module docstring).

    ``cluster_parents`` maps each cluster to the cluster that holds it; ``cluster_labels`` gives
    the size (width, height) of a cluster's label (room is made for it above the cluster's members).
    """
    return _Layered(items, links, rankdir, nodesep, ranksep, cluster_parents or {}, cluster_labels or {},
                    padding).run()


class _Layered:
    def __init__(self, items: list[Item], links: list[Link], rankdir: str, nodesep: float, ranksep: float,
                 cluster_parents: dict[str, str | None], cluster_labels: dict[str, tuple[float, float]],
                 padding: float) -> None:
        self.items, self.links, self.rankdir = items, links, rankdir
        self.nodesep, self.ranksep, self.padding = nodesep, ranksep, padding
        self.cluster_labels = cluster_labels
        self.across = rankdir in ("LR", "RL")  # ranks are columns
        index = {item.name: i for i, item in enumerate(items)}
        self.index = index
        # per node: size along the order axis and along the rank axis, its cluster (top level)
        self.order_size = [it.height if self.across else it.width for it in items]
        self.rank_size = [it.width if self.across else it.height for it in items]
        self.cluster = [_top(it.cluster, cluster_parents) for it in items]
        self.weight = [1.0] * len(items)
        self.edges = [(index[link.tail], index[link.head]) for link in links]

    # ------------------------------------------------------------------ 1. ranks
    def ranks(self) -> None:
        n = len(self.items)
        self.reversed = [False] * len(self.edges)
        state = [0] * n  # 0 new, 1 on the stack, 2 done: edges into a node on the stack close a cycle
        out: list[list[int]] = [[] for _ in range(n)]
        for k, (a, _) in enumerate(self.edges):
            out[a].append(k)
        for start in range(n):
            if state[start]:
                continue
            stack = [(start, 0)]
            state[start] = 1
            while stack:
                v, i = stack.pop()
                if i < len(out[v]):
                    stack.append((v, i + 1))
                    k = out[v][i]
                    w = self.edges[k][1]
                    if state[w] == 1:
                        self.reversed[k] = True
                    elif state[w] == 0:
                        state[w] = 1
                        stack.append((w, 0))
                else:
                    state[v] = 2
        self.dag = [((b, a) if r else (a, b)) for (a, b), r in zip(self.edges, self.reversed) if a != b]
        minlen = 2 if any(link.label for link in self.links) else 1
        self.minlen = minlen
        preds: list[list[int]] = [[] for _ in range(n)]
        succs: list[list[int]] = [[] for _ in range(n)]
        for a, b in self.dag:
            succs[a].append(b)
            preds[b].append(a)
        order, waiting = [], [len(p) for p in preds]
        ready = [v for v in range(n) if not waiting[v]]
        while ready:
            v = ready.pop()
            order.append(v)
            for w in succs[v]:
                waiting[w] -= 1
                if not waiting[w]:
                    ready.append(w)
        rank = [0] * n
        for v in order:
            for w in succs[v]:
                rank[w] = max(rank[w], rank[v] + minlen)
        for v in reversed(order):  # as late as the successors allow
            if succs[v]:
                rank[v] = min(rank[w] for w in succs[v]) - minlen
        low = min(rank, default=0)
        self.rank = [r - low for r in rank]

    # ------------------------------------------------------------------ 2. virtual nodes
    def virtual_nodes(self) -> None:
        self.chains: list[list[int]] = []  # per link: the nodes its route passes, tail to head
        self.label_node: list[int | None] = []
        self.adjacent: list[tuple[int, int]] = []
        for k, (a, b) in enumerate(self.edges):
            label = self.links[k].label
            if a == b:
                self.chains.append([a, a])
                self.label_node.append(None)
                continue
            low, high = (b, a) if self.reversed[k] else (a, b)
            chain = [low]
            span = self.rank[high] - self.rank[low]
            middle = self.rank[low] + max(1, span // 2)
            carrier = None
            for r in range(self.rank[low] + 1, self.rank[high]):
                v = self._new_virtual(r, label if (label and r == middle) else None)
                if label and r == middle:
                    carrier = v
                chain.append(v)
            chain.append(high)
            for u, v in zip(chain, chain[1:]):
                self.adjacent.append((u, v))
            self.chains.append(chain[::-1] if self.reversed[k] else chain)
            self.label_node.append(carrier)

    def _new_virtual(self, rank: int, label: tuple[float, float] | None) -> int:
        self.rank.append(rank)
        if label is None:
            self.order_size.append(2.0)
            self.rank_size.append(0.0)
        else:  # the edge passes along the label's side: room for both
            width, height = label
            self.order_size.append((2 * height + 4) if self.across else (2 * width + 4))
            self.rank_size.append(width if self.across else height)
        self.cluster.append(None)
        self.weight.append(VIRTUAL_WEIGHT)
        return len(self.rank) - 1

    # ------------------------------------------------------------------ 3. order
    def order(self) -> None:
        count = len(self.rank)
        self.preds: list[list[int]] = [[] for _ in range(count)]
        self.succs: list[list[int]] = [[] for _ in range(count)]
        for u, v in self.adjacent:
            self.succs[u].append(v)
            self.preds[v].append(u)
        layers: list[list[int]] = [[] for _ in range(max(self.rank, default=0) + 1)]
        seen = [False] * count
        for start in sorted(range(count), key=lambda v: (bool(self.preds[v]), v)):  # depth first from sources
            stack = [start]
            while stack:
                v = stack.pop()
                if seen[v]:
                    continue
                seen[v] = True
                layers[self.rank[v]].append(v)
                stack.extend(reversed(self.succs[v]))
        self.layers = [self._grouped(layer, {v: i for i, v in enumerate(layer)}) for layer in layers]
        best, fewest = [list(layer) for layer in self.layers], self.crossings()
        for sweep in range(SWEEPS):
            down = sweep % 2 == 0
            ranks = range(1, len(self.layers)) if down else range(len(self.layers) - 2, -1, -1)
            for r in ranks:
                neighbours = self.preds if down else self.succs
                position = {v: i for i, v in enumerate(self.layers[r - 1 if down else r + 1])}
                keys = {}
                for i, v in enumerate(self.layers[r]):
                    near = [position[u] for u in neighbours[v] if u in position]
                    keys[v] = sum(near) / len(near) if near else float(i)
                self.layers[r] = self._grouped(sorted(self.layers[r], key=keys.__getitem__), keys)
            crossings = self.crossings()
            if crossings < fewest:
                best, fewest = [list(layer) for layer in self.layers], crossings
        self.layers = best

    def _grouped(self, layer: list[int], keys: dict[int, float]) -> list[int]:
        """The layer with each cluster's members together, at the mean place of its members."""
        groups: dict[object, list[int]] = {}
        for v in layer:
            groups.setdefault(self.cluster[v] if self.cluster[v] is not None else ("node", v), []).append(v)
        ordered = sorted(groups.values(), key=lambda members: sum(keys[v] for v in members) / len(members))
        return [v for members in ordered for v in members]

    def crossings(self) -> int:
        total = 0
        for upper, lower in zip(self.layers, self.layers[1:]):
            position = {v: i for i, v in enumerate(lower)}
            ends = sorted((i, position[w]) for i, v in enumerate(upper) for w in self.succs[v] if w in position)
            heads = [h for _, h in ends]
            total += sum(1 for i in range(len(heads)) for j in range(i + 1, len(heads)) if heads[j] < heads[i])
        return total

    # ------------------------------------------------------------------ 4. coordinates
    def coordinates(self) -> None:
        count = len(self.rank)
        self.along = [0.0] * count  # position along the order axis
        gaps = []
        for layer in self.layers:
            layer_gaps = [0.0]
            for u, v in zip(layer, layer[1:]):
                gap = (self.order_size[u] + self.order_size[v]) / 2 + self.nodesep
                if self.cluster[u] != self.cluster[v]:  # room for the clusters' frames (and a label)
                    gap += 2 * self.padding + (self.cluster_labels.get(self.cluster[v] or "", (0.0, 0.0))[1]
                                               if self.across else 0.0)
                layer_gaps.append(gap)
            gaps.append(layer_gaps)
            position = 0.0
            for v, gap in zip(layer, layer_gaps):
                position += gap
                self.along[v] = position
        for sweep in range(PLACEMENTS):
            down = sweep % 2 == 0
            ranks = range(len(self.layers)) if down else range(len(self.layers) - 1, -1, -1)
            for r in ranks:
                layer = self.layers[r]
                desired, weights = [], []
                for v in layer:
                    near = self.preds[v] if down else self.succs[v]
                    if sweep == PLACEMENTS - 1:
                        near = self.preds[v] + self.succs[v]
                    if near:
                        desired.append(sum(self.along[u] for u in near) / len(near))
                        weights.append(self.weight[v])
                    else:
                        desired.append(self.along[v])
                        weights.append(0.1)
                for v, x in zip(layer, _place(desired, weights, gaps[r])):
                    self.along[v] = x
        # the rank axis: each rank as thick as its thickest node
        self.thickness = thickness = [max((self.rank_size[v] for v in layer), default=0.0) for layer in self.layers]
        starts = self._cluster_starts()
        self.at_rank, position = [], 0.0
        for r, thick in enumerate(thickness):
            before = thickness[r - 1] / 2 + self.ranksep + starts.get(r, 0.0) if r else 0.0
            position += before + thick / 2
            self.at_rank.append(position)

    def _cluster_starts(self) -> dict[int, float]:
        """Extra room before a rank where a cluster begins (its frame, and its label across ranks)."""
        first: dict[str, int] = {}
        for v, cluster in enumerate(self.cluster):
            if cluster is not None:
                first[cluster] = min(first.get(cluster, self.rank[v]), self.rank[v])
        extra: dict[int, float] = {}
        for cluster, r in first.items():
            room = self.padding + (0.0 if self.across else self.cluster_labels.get(cluster, (0.0, 0.0))[1])
            extra[r] = max(extra.get(r, 0.0), room)
        return extra

    # ------------------------------------------------------------------ 5. the result
    def run(self) -> Layout:
        self.ranks()
        self.virtual_nodes()
        self.order()
        self.coordinates()
        low = min((self.along[v] - self.order_size[v] / 2 for v in range(len(self.rank))), default=0.0)
        self.along_low = low
        points = [self._point(self.along[v] - low, self.at_rank[self.rank[v]]) for v in range(len(self.rank))]
        positions = {item.name: points[i] for i, item in enumerate(self.items)}
        clusters = self._clusters(points)
        corners = [p for outline in clusters.values() for p in outline]
        lows_x = [p[0] - it.width / 2 for p, it in zip(points, self.items)] + [x for x, _ in corners]
        lows_y = [p[1] - it.height / 2 for p, it in zip(points, self.items)] + [y for _, y in corners]
        shift_x, shift_y = -min(lows_x, default=0.0), -min(lows_y, default=0.0)
        move = lambda p: (p[0] + shift_x, p[1] + shift_y)  # noqa: E731
        positions = {name: move(p) for name, p in positions.items()}
        routes = [[move(points[v]) for v in chain] for chain in self.chains]
        labels = []
        for carrier in self.label_node:
            if carrier is None:
                labels.append(None)
                continue
            x, y = move(points[carrier])
            size = self.order_size[carrier] / 4  # the label sits beside the line, on one side
            labels.append((x, y - size) if self.across else (x + size, y))
        clusters = {name: [move(p) for p in outline] for name, outline in clusters.items()}
        highs_x = [p[0] + it.width / 2 for p, it in zip(positions.values(), self.items)]
        highs_y = [p[1] + it.height / 2 for p, it in zip(positions.values(), self.items)]
        corners = [p for outline in clusters.values() for p in outline]
        highs_x += [x for x, _ in corners] + [x for route in routes for x, _ in route]
        highs_y += [y for _, y in corners] + [y for route in routes for _, y in route]
        return Layout(max(highs_x, default=0.0), max(highs_y, default=0.0), positions, routes, labels, clusters,
                      self.rankdir)

    def _point(self, along: float, rank: float) -> tuple[float, float]:
        if self.rankdir == "LR":
            return rank, along
        if self.rankdir == "RL":
            return -rank, along
        if self.rankdir == "BT":
            return along, -rank
        return along, rank

    def _clusters(self, points: list[tuple[float, float]]) -> dict[str, list[tuple[float, float]]]:
        """Each cluster's outline: around its members rank by rank (a band per rank, joined by slopes),
        so that two clusters sharing a rank side by side do not overlap, as rectangles would."""
        bands: dict[str, dict[int, list[float]]] = {}
        for v, item in enumerate(self.items):
            if item.cluster is None:
                continue
            along, at = self.along[v], self.at_rank[self.rank[v]]
            half_a, half_r = self.order_size[v] / 2, self.thickness[self.rank[v]] / 2
            band = bands.setdefault(item.cluster, {}).setdefault(self.rank[v], [along - half_a, along + half_a,
                                                                                  at - half_r, at + half_r])
            band[:] = [min(band[0], along - half_a), max(band[1], along + half_a), min(band[2], at - half_r),
                       max(band[3], at + half_r)]
        pad = self.padding
        outlines = {}
        for name, by_rank in bands.items():
            ranks = sorted(by_rank)
            label_w, label_h = self.cluster_labels.get(name, (0.0, 0.0))
            boxes = [[a - pad, b + pad, top - pad, bottom + pad] for a, b, top, bottom in (by_rank[r] for r in ranks)]
            if self.across:  # the label sits above the first rank's members
                boxes[0][0] -= label_h
                boxes[0][3] = max(boxes[0][3], boxes[0][2] + label_w)
            else:
                boxes[0][2] -= label_h
                boxes[0][1] = max(boxes[0][1], boxes[0][0] + label_w)
            right = [point for _, b, top, bottom in boxes for point in ((b, top), (b, bottom))]
            left = [point for a, _, top, bottom in reversed(boxes) for point in ((a, bottom), (a, top))]
            outline = left[-1:] + right + left[:-1]  # from the top left corner, where the label goes
            outlines[name] = [self._point(a - self.along_low, r) for a, r in outline]
        return outlines

def _top(cluster: str | None, parents: dict[str, str | None]) -> str | None:
    """The outermost cluster holding ``cluster``."""
    seen = set()
    while cluster is not None and parents.get(cluster) is not None and cluster not in seen:
        seen.add(cluster)
        cluster = parents[cluster]
    return cluster


def _place(desired: list[float], weights: list[float], gaps: list[float]) -> list[float]:
    """Positions x (in order, x[i] >= x[i-1] + gaps[i]) nearest ``desired`` in weighted least squares.

    With offsets o[i] = gaps[1] + ... + gaps[i], y = x - o must not decrease: a weighted isotonic
    regression of desired - o, solved by pooling adjacent violators.
    """
    offsets, total = [], 0.0
    for i, gap in enumerate(gaps):
        total += gap if i else 0.0
        offsets.append(total)
    blocks: list[list[float]] = []  # [weight, weighted sum, count]
    for d, w, o in zip(desired, weights, offsets):
        blocks.append([w, w * (d - o), 1])
        while len(blocks) > 1 and blocks[-2][1] / blocks[-2][0] > blocks[-1][1] / blocks[-1][0]:
            w2, s2, c2 = blocks.pop()
            blocks[-1][0] += w2
            blocks[-1][1] += s2
            blocks[-1][2] += c2
    values = []
    for w, s, c in blocks:
        values += [s / w] * int(c)
    return [y + o for y, o in zip(values, offsets)]
