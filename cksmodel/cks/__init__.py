"""Built-in facts and the lifecycle of AWS KMS custom key stores (AWS CloudHSM key stores).

* :mod:`cksmodel.cks.model` -- the service-linked role, its policies, the IAM
  protections of service-linked roles, the default key policy, and the personas'
  least privilege, as data.
* :mod:`cksmodel.cks.regions` -- the Regions where custom key stores exist.
* :mod:`cksmodel.cks.lifecycle` -- the store lifecycle as a transition system with
  a bounded explicit-state model checker.
"""
