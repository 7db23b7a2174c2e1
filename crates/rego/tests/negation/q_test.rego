package q
import rego.v1
inp := {"params": {"rule": "RunAsAny"}}
test_all_empty if { 
  all := [i, j, k, l, m, n, o, p, r] with input as inp
  every x in all { count(x) == 0 }
}
test_s if { count(s) == 1 with input as inp }
