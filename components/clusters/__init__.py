"""One module per platform; each gives the CVM layer the same thing: a Kubernetes provider and a kubeconfig.

`create.create_cluster` imports only the chosen platform's module, so a stack loads its own cloud's SDK and no
other. The facts they follow (node images, channels, the EKS AMI parameters) are in components/facts.
"""
