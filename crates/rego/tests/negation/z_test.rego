package z
import rego.v1
test_z if { 
  r := {"a": a, "b": b, "c": c, "d": d, "e": e, "g": g, "k": k, "l": l} with input as {"params": {"rule": "RunAsAny"}}
  r == {"a": {1}, "b": {1}, "c": set(), "d": {1}, "e": set(), "g": set(), "k": set(), "l": set()}
}
