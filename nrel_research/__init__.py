"""nrel_research: a research toolkit for the N-REL framework of social media marketing.

N-REL (Ananda, Hernández-García & Lamberti, 2016) classifies a firm's social media
marketing strategic actions into Representation, Engagement and Listening, carried out
on a brand network (N). This package holds the framework as data and turns it into
instruments, coding schemes and analyses.

Modules
-------
framework
    The taxonomy, network dimensions, decision areas and propositions P1-P8, loaded
    from the bundled data file (:func:`nrel_research.framework.load`).
exceptions
    The package's error (:class:`NrelError`, a :class:`ValueError`) and warning classes.
datasets
    Bundled example data (Holzinger & Swineford, 1939; Political Democracy) for checks
    against lavaan.
reproduce
    Execute the notebooks and write the HTML report (``make reproduce``).

Examples
--------
>>> import nrel_research as nr
>>> fw = nr.framework.load()
>>> len(fw.actions)
10
"""

from . import datasets, exceptions, framework
from ._version import __version__
from .exceptions import NrelError, NrelWarning

__all__ = ["NrelError", "NrelWarning", "__version__", "datasets", "exceptions", "framework"]
