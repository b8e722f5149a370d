"""Applications (申请): online and one-window applications from submission to delivery."""
