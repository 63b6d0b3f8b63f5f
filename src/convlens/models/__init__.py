"""convlens.models"""
