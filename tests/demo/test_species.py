"""The demo's simulated species: their chains put planted sites where the simulator did.

The truth (``species.json``) comes from the simulator's own alignment; the checks lift through
the written chain files with the ``liftover`` library and read the written genomes.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from ncv_core.demo import build_demo, ensure_demo
from ncv_core.demo.build import STAMP
from ncv_core.demo.evolve import evolve_contig
from ncv_core.demo.species import (
    DEFAULT_SPECIES,
    SpeciesSpec,
    build_species,
    ensure_species,
    open_species,
)
from ncv_core.errors import NcvError
from ncv_core.features.liftover import lift_loci
from ncv_core.io.chain_files import open_chain, read_chain_headers, write_chain_file
from ncv_core.io.genome import Genome
from ncv_core.sequence import reverse_complement


@pytest.mark.parametrize("invert", [True, False])
def test_evolved_contig_chains_encode_its_map(tmp_path, invert) -> None:
    """Every base: the written chain lifts it where the simulator's map says, and the target
    base there is the source base (or its complement on the inverted strand) unless mutated."""
    rng = np.random.default_rng(11)
    n = 300_000
    codes = rng.integers(0, 4, n).astype(np.int8)
    protect = np.zeros(n, dtype=bool)
    protect[100_000:100_050] = True
    spec = SpeciesSpec("t", 0.1, 0.01, 0.3, 1.0, inversion_length=(40_000, 60_000))
    res = evolve_contig("c", codes, protect, np.zeros(n, bool), spec, rng, invert)
    chains = [replace(c, id=k + 1) for k, c in enumerate(res["chains"])]
    path = tmp_path / "c.chain"
    write_chain_file(path, chains)
    lifter = open_chain(path).lifter["c"]
    tpos, minus, target = res["tpos"], res["minus"], res["target"]
    for p in range(0, n, 7):
        m = lifter[p]
        if tpos[p] < 0:
            assert m == []
        else:
            assert m == [("c", int(tpos[p]), "-" if minus[p] else "+")]
    ok = tpos >= 0
    base = np.where(minus[ok], 3 - target[tpos[ok]], target[tpos[ok]])
    same = base == codes[ok]
    assert abs((1 - same.mean()) - spec.substitution_rate) < 0.01
    assert same[protect[ok]].all() and ok[protect].all()
    assert abs((1 - ok.mean()) - (0.3 + 0.014)) < 0.03
    assert minus.any() == invert and (res["inversion"] is not None) == invert


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return build_demo(tmp_path_factory.mktemp("demo") / "seed0", seed=0)


@pytest.fixture(scope="module")
def species(demo):
    return open_species(demo.species)  # build_demo writes them


@pytest.fixture(scope="module")
def truth(species):
    return json.loads(species.truth.read_text())


@pytest.fixture(scope="module")
def demo_truth(demo):
    return json.loads(demo.truth.read_text())


def instances(demo_truth: dict, species_truth: dict, name: str) -> pd.DataFrame:
    """Every planted instance with its source place and the species' truth."""
    frames = []
    for cell, c in demo_truth["cell_lines"].items():
        lengths = {m["matrix_id"]: m["length"] for m in c["motifs"]}
        f = pd.DataFrame(c["instances"])
        f["length"] = f["matrix_id"].map(lengths)
        sp = species_truth["species"][name]["cell_lines"][cell]["instances"]
        for key in ("conserved", "chrom", "start", "strand"):
            f[f"t_{key}"] = sp[key]
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize("name", [s.name for s in DEFAULT_SPECIES])
def test_chains_map_conserved_sites_to_the_simulated_place(
    demo, species, truth, demo_truth, name
) -> None:
    inst = instances(demo_truth, truth, name)
    kept = inst[inst["t_conserved"]].reset_index(drop=True)
    assert len(kept) > 2000
    sp = species.species[name]
    chain = open_chain(sp.chain)
    first = lift_loci(pd.DataFrame({"chrom": kept["chrom"], "pos": kept["start"] + 1}), chain)
    last_pos = kept["start"] + kept["length"]
    last = lift_loci(pd.DataFrame({"chrom": kept["chrom"], "pos": last_pos}), chain)
    assert first.rejected == [] and last.rejected == []  # conserved sites always map
    lo = np.minimum(first.table["pos"], last.table["pos"]) - 1
    assert (lo.to_numpy() == kept["t_start"].to_numpy()).all()
    assert (np.abs(first.table["pos"] - last.table["pos"]) == kept["length"] - 1).all()
    flipped = (kept["t_strand"] != kept["strand"]).to_numpy()
    assert ((first.table["strand"] == "-").to_numpy() == flipped).all()
    assert flipped.any()  # some lie in the inverted segment
    with Genome(demo.genome) as src, Genome(sp.genome) as tgt:
        for row in kept.sample(300, random_state=0).itertuples():
            a = src.fetch(row.chrom, row.start, row.start + row.length)
            t0 = int(row.t_start)  # a float column: unmapped instances hold None
            b = tgt.fetch(row.t_chrom, t0, t0 + row.length)
            assert (reverse_complement(b) if row.t_strand != row.strand else b) == a


def test_conservation_and_labels(truth, demo_truth) -> None:
    for spec in DEFAULT_SPECIES:
        sp = truth["species"][spec.name]
        inst = instances(demo_truth, truth, spec.name)
        n = len(inst)
        share = inst["t_conserved"].mean()
        assert abs(share - spec.motif_conservation) < 4 * np.sqrt(share * (1 - share) / n) + 1e-9
        for cell, c in demo_truth["cell_lines"].items():
            sites = sp["cell_lines"][cell]["functional_sites"]
            assert sites["id"] == c["functional_sites"]["id"]
            functional = inst[(inst["role"] == "functional")]
            conserved = set(
                zip(
                    functional.loc[functional["t_conserved"], "chrom"],
                    functional.loc[functional["t_conserved"], "start"],
                    strict=True,
                )
            )
            fs = c["functional_sites"]
            want = [(ch, s) in conserved for ch, s in zip(fs["chrom"], fs["start"], strict=True)]
            assert sites["conserved"] == want


@pytest.mark.parametrize("spec", DEFAULT_SPECIES, ids=lambda s: s.name)
def test_divergence_matches_the_spec(demo, species, spec) -> None:
    """At random positions: unmapped share and mismatch rate against the spec's rates."""
    rng = np.random.default_rng(1)
    with Genome(demo.genome) as src:
        names = list(src.contigs)
        sizes = np.array([src.contigs[c] for c in names])
        which = rng.choice(len(names), 4000, p=sizes / sizes.sum())
        pos = rng.integers(1, sizes[which] + 1)
        chroms = [names[i] for i in which]
        sp = species.species[spec.name]
        lifted = lift_loci(pd.DataFrame({"chrom": chroms, "pos": pos}), sp.chain)
        t = lifted.table
        a = src.bases_at(t["source_chrom"].tolist(), t["source_pos"].to_numpy())
    with Genome(sp.genome) as tgt:
        b = tgt.bases_at(t["chrom"].tolist(), t["pos"].to_numpy())
    b = [reverse_complement(x) if s == "-" else x for x, s in zip(b, t["strand"], strict=True)]
    mismatch = np.mean([x != y for x, y in zip(a, b, strict=True)])
    assert abs(mismatch - spec.substitution_rate) < 0.025
    unmapped = len(lifted.rejected) / 4000
    deleted = spec.indel_rate / 2 * 2.8  # geometric(0.35) deletions, mean about 2.8 bp
    assert abs(unmapped - (spec.unaligned_fraction + deleted)) < 0.04
    assert {r.category for r in lifted.rejected} <= {"in gap", "no chain"}


def test_chain_layout(species, truth) -> None:
    for name, sp in species.species.items():
        h = read_chain_headers(sp.chain)
        assert h["q_strand"].tolist().count("-") == 1  # the one inverted segment
        assert (h["t_start"] >= 1000).all()  # contig ends lie outside every chain
        inv = truth["species"][name]["inversion"]
        minus = h[h["q_strand"] == "-"].iloc[0]
        assert (minus["t_name"], minus["t_start"], minus["t_end"]) == (
            inv["chrom"],
            inv["start"],
            inv["end"],
        )
        with Genome(sp.genome) as g:
            assert g.contigs == truth["species"][name]["contigs"]
            assert h.drop_duplicates("q_name").set_index("q_name")["q_size"].to_dict() == g.contigs


def test_deterministic_by_seed_and_independent_streams(demo, species, tmp_path) -> None:
    one = (DEFAULT_SPECIES[0],)
    a = build_species(demo, tmp_path / "a", seed=0, species=one)
    b = build_species(demo, tmp_path / "b", seed=1, species=one)
    name = one[0].name
    sa, sb, full = a.species[name], b.species[name], species.species[name]
    # same seed: the same bytes as in the three-species build (each species has its own stream)
    assert sa.genome.read_bytes() == full.genome.read_bytes()
    assert sa.chain.read_bytes() == full.chain.read_bytes()
    assert sb.genome.read_bytes() != sa.genome.read_bytes()
    assert sb.chain.read_bytes() != sa.chain.read_bytes()


def test_bad_specs(demo, tmp_path) -> None:
    twice = (DEFAULT_SPECIES[0], DEFAULT_SPECIES[0])
    with pytest.raises(NcvError, match="distinct identifiers"):
        build_species(demo, tmp_path, species=twice)
    with pytest.raises(NcvError, match="truth.json"):
        build_species(tmp_path, tmp_path / "out", species=(SpeciesSpec("x", 0.1, 0, 0, 1),))


def _files(root) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_the_demo_holds_its_species_and_an_older_demo_gains_them(demo, tmp_path) -> None:
    """build_demo writes species/ (deterministically: ensure_demo rebuilds the same bytes into a
    demo written before species existed) and leaves every other demo file as it was."""
    assert demo.species == demo.root / "species"
    assert sorted(open_species(demo.species).species) == sorted(s.name for s in DEFAULT_SPECIES)
    assert json.loads((demo.species / "species.json").read_text())["seed"] == 0
    old = tmp_path / "old-demo"
    shutil.copytree(demo.root, old, ignore=shutil.ignore_patterns("species"))
    before = _files(old)
    paths = ensure_demo(old, seed=0)  # complete (stamp), but without species
    assert (old / STAMP).is_file() and paths.species.is_dir()
    assert _files(paths.species) == _files(demo.species)
    after = _files(old)
    assert {k: v for k, v in after.items() if not k.startswith("species")} == before
    assert [p.name for p in tmp_path.iterdir()] == ["old-demo"]  # no leftover build folder
    start = time.perf_counter()
    assert ensure_species(old, seed=0).species.keys() == open_species(demo.species).species.keys()
    assert time.perf_counter() - start < 0.5  # built once, then only read
