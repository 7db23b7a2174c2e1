#!/usr/bin/env python3
"""Differential check of the NetworkPolicy case files against network-config-analyzer (NCA).

Usage: pip install network-config-analyzer==2.1.0; cargo build -p kubecomply;
       python3 crates/netpol/scripts/nca_crosscheck.py
Needs `netpol matrix` wired into the binary. For every case in tests/cases it compares the
pod x pod verdicts for ports 80/81 over TCP/UDP/SCTP. Known, expected divergences (NCA side):
ipBlock never matches pod IPs (ipblock.yaml), policy applies to hostNetwork pods
(host_network.yaml); it rejects an absent podSelector (selectors.yaml), ingress rules without
an Ingress type (policy_types.yaml) and the deliberately invalid policies (validation.yaml).
"""
import glob, os, re, subprocess, sys, tempfile
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..', '..'))
BIN = os.environ.get('KUBECOMPLY', os.path.join(ROOT, 'target', 'debug', 'kubecomply'))


def make_world():
    out = []
    for i, ns in enumerate("xyz"):
        out.append(f'---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: "{ns}"\n  labels:\n    ns: "{ns}"\n')
        for j, pod in enumerate("abc"):
            s = f'---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {pod}\n  namespace: "{ns}"\n  labels:\n    pod: {pod}\nspec:\n  containers:\n'
            for port in (80, 81):
                for proto in ("TCP", "UDP", "SCTP"):
                    lo = proto.lower()
                    s += f'  - name: c{port}{lo}\n    image: agnhost\n    ports:\n    - name: serve-{port}-{lo}\n      containerPort: {port}\n      protocol: {proto}\n'
            s += f'status:\n  podIP: 10.{i+1}.0.{j+1}\n'
            out.append(s)
    return ''.join(out)


world = make_world()
PORTS=[(p,proto) for proto in ('TCP','UDP','SCTP') for p in (80,81)]
def parse_conn(s):
    s=s.strip()
    if s=='All connections': return set(PORTS)
    if s=='No connections': return set()
    out=set()
    if s.startswith('{'):
        for g in re.findall(r'\{([^}]*)\}', s):
            protos=re.search(r'protocols:([A-Z,]+?)(?:,dst_ports|$)', g).group(1).split(',')
            dp=re.search(r'dst_ports:([0-9,\-]+)', g)
            for proto in protos:
                for p in (80,81):
                    if dp is None: out.add((p,proto)); continue
                    for r in dp.group(1).split(','):
                        if not r: continue
                        a,b=(map(int,r.split('-')) if '-' in r else (int(r),int(r)))
                        if a<=p<=b: out.add((p,proto))
        return out
    for part in re.split(r',(?=[A-Z])', s):
        part=part.strip()
        m=re.match(r'(TCP|UDP|SCTP)(?: (.*))?$', part)
        if not m:
            m2=re.match(r'protocols?: (.*)', part)
            raise SystemExit('cannot parse NCA output: '+s)
        proto, ranges = m.group(1), m.group(2)
        for p in (80,81):
            if ranges is None: out.add((p,proto)); continue
            for r in ranges.split(','):
                if '-' in r: a,b=map(int,r.split('-'))
                else: a=b=int(r)
                if a<=p<=b: out.add((p,proto))
    return out
tot=0; diffs=0
for case in sorted(glob.glob(os.path.join(HERE, '..', 'tests', 'cases', '*.yaml'))):
    text=open(case).read()
    body=text[text.index('\n---')+1:]
    combined=body+('\n'+world if 'world: xyz' in text else '')
    tmp = os.path.join(tempfile.mkdtemp(), 'combined.yaml')
    open(tmp,'w').write(combined)
    r=subprocess.run(['nca','--connectivity',tmp,'--pod_list',tmp,'--ns_list',tmp,'-o','txt_no_fw_rules'],capture_output=True,text=True)
    nca={}
    for line in r.stdout.splitlines():
        m=re.match(r'(\S+)\[\w+\] => (\S+)\[\w+\] : (.*)$', line)
        if m: nca.setdefault((m.group(1),m.group(2)),set()).update(parse_conn(m.group(3)))
    args=[BIN,'netpol','matrix','-f','csv']+sum([['--port',f'{p}/{proto}'] for p,proto in PORTS],[])+[tmp]
    o=subprocess.run(args,capture_output=True,text=True)
    ours={}
    for line in o.stdout.splitlines()[1:]:
        f,t,p,proto,a=line.split(',')
        def short(e):
            ns,kind,name=e.split('/'); return f'{ns}/{name}'
        key=(short(f),short(t))
        ours.setdefault(key,set())
        if a=='true': ours[key].add((int(p),proto))
    if not nca and r.returncode!=0:
        print(os.path.basename(case), 'NCA failed:', (r.stderr or r.stdout).strip().splitlines()[-1:]); continue
    n=0; d=[]
    for key,allowed in ours.items():
        n+=1
        got=nca.get(key,set())
        if got!=allowed: d.append((key,sorted(allowed-got),sorted(got-allowed)))
    tot+=n; diffs+=len(d)
    print(f'{os.path.basename(case)}: {n} pairs, {len(d)} differ')
    for x in d[:6]: print('   ',x[0],'only ours:',x[1],'only nca:',x[2])
print('total',tot,'pairs; differ',diffs)
