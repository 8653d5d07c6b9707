"""A Coder template for the cluster a stack made, generated from the code that builds cvm's workspace pods.

terraform.py  Terraform's JSON syntax: escaping literals, writing expressions (pure)
template.py   the stack's settings -> main.tf.json (pure)
readme.py     the template's README.md (pure)
command.py    `cvm coder-template` (or `python -m components.coder_template`): a stack file in, a template directory out
"""
