"""The demo data ``make run`` loads (``manage.py load_demo_data``): centres, slots, staff,
applications at every step of every path, and Entry/Exit crossings and manifests. The
top layer: it uses every app's services, and no app uses it."""
