import sys
from roadmaps.planner import *
cases=[l.split('|') for l in sys.argv[1:]]
for c,w,h,d in cases:
    d=d or None; w=int(w); h=int(h)
    try:
        p=plan_roadmap(c,Budget(w,h),difficulty=d)
    except UnknownConcept as e:
        print('==',c,'UNKNOWN',e.unknown_terms,e.suggestions); continue
    m=p.metadata
    print('==',c,w,h,m['fit'],m['coverage'],m['unknown_terms'],m['goal_topics'],m['goal_project'], m['strategy'])
    print(p.description)
    for s in p.steps: print('  w%d %s %dh'%(s.week,s.title,s.estimated_hours))
    e=validate_plan(p.steps,Budget(w,h))
    if e: print(e)
