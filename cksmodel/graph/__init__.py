"""Reachability: who can act as whom in an account, and who can, in the end, do what."""

from cksmodel.graph.build import AccessGraph, build_graph
from cksmodel.graph.query import Hop, Reach, WhoCan, can, paths, who_can

__all__ = ["AccessGraph", "Hop", "Reach", "WhoCan", "build_graph", "can", "paths", "who_can"]
