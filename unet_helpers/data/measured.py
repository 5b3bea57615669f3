"""Measured on real photos by benchmarks/data_stats.py: do not edit by hand.

Shares of pixels over all trimaps of the folder, at their own resolution;
"pet_or_border" is what the binary masks call pet.
"""

REAL_SAMPLE = {'photos': 300,
 'breeds': 3,
 'pet': 0.2703,
 'background': 0.6116,
 'border': 0.1181,
 'pet_or_border': 0.3884,
 'image_pet_or_border_median': 0.3905,
 'image_pet_or_border_range': [0.0826, 0.8356],
 'folder': 'oxford-iiit-pet-sample'}
