"""Reference implementation of the DS252 hybrid lab's EC2 Flask server.

This is the benchmark baseline only: the lab's server as the lab wrote it (Flask + requests +
boto3), so that our C# server can be measured against it. Do not optimise or harden it; a
faithful baseline is the point. See README.md for what differs from the lab and why.

Environment: S3_BUCKET (bucket), AWS_REGION (default us-east-1), the usual AWS credential chain,
AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL (an S3 emulator such as moto_server), PORT (default 5000)
and HOST (default 127.0.0.1) for `python3 app.py`.
"""
from flask import Flask, request, jsonify
import boto3
from botocore.config import Config
import requests
import os
import uuid
from datetime import datetime
import logging

app = Flask(__name__)
logging.basicConfig(level=logging.INFO)
logger = logging.getLogger(__name__)

AWS_REGION = os.environ.get('AWS_REGION', 'us-east-1')
S3_BUCKET = os.environ.get('S3_BUCKET')

# Benchmark machine only (not in the lab): an endpoint override for an S3 emulator. boto3 >= 1.28
# reads these variables itself, but Debian 12's python3-boto3 (1.26) does not, so it is passed
# explicitly; path-style addressing because an emulator on 127.0.0.1 has no bucket host names.
S3_ENDPOINT_URL = os.environ.get('AWS_ENDPOINT_URL_S3') or os.environ.get('AWS_ENDPOINT_URL')

# AWS client, created once at import time as in the lab (one per gunicorn worker process).
if S3_ENDPOINT_URL:
    s3_client = boto3.client('s3', region_name=AWS_REGION, endpoint_url=S3_ENDPOINT_URL,
                             config=Config(s3={'addressing_style': 'path'}))
else:
    s3_client = boto3.client('s3', region_name=AWS_REGION)


@app.route('/health', methods=['GET'])
def health_check():
    """Health check endpoint"""
    return jsonify({'status': 'healthy', 'timestamp': datetime.utcnow().isoformat()}), 200


@app.route('/process-image', methods=['POST'])
def process_image():
    """Download the image at image_url and store it in S3 at images/{image_id}.{ext}."""
    try:
        data = request.get_json()
        if not data:
            return jsonify({'error': 'No JSON data provided'}), 400

        image_url = data.get('image_url')
        if not image_url:
            return jsonify({'error': 'image_url is required'}), 400

        image_id = str(uuid.uuid4())
        logger.info(f"Processing image: {image_id} from URL: {image_url}")

        # Download the whole image into memory
        try:
            response = requests.get(image_url, timeout=30)
            response.raise_for_status()
            image_data = response.content
        except requests.exceptions.RequestException as e:
            logger.error(f"Failed to download image: {str(e)}")
            return jsonify({'error': f'Failed to download image: {str(e)}'}), 400

        # Extension taken from the URL, not from the bytes; anything unknown becomes jpg
        file_extension = image_url.split('.')[-1].split('?')[0][:4]
        if file_extension not in ['jpg', 'jpeg', 'png', 'gif', 'webp']:
            file_extension = 'jpg'

        s3_key = f"images/{image_id}.{file_extension}"

        try:
            s3_client.put_object(
                Bucket=S3_BUCKET,
                Key=s3_key,
                Body=image_data,
                ContentType=f'image/{file_extension}'
            )
            logger.info(f"Image uploaded to S3: s3://{S3_BUCKET}/{s3_key}")
        except Exception as e:
            logger.error(f"Failed to upload to S3: {str(e)}")
            return jsonify({'error': f'Failed to upload to S3: {str(e)}'}), 500

        return jsonify({
            'success': True,
            'message': 'Image processed successfully',
            'image_id': image_id,
            's3_location': f's3://{S3_BUCKET}/{s3_key}',
            'file_size': len(image_data),
            'file_extension': file_extension,
            'timestamp': datetime.utcnow().isoformat()
        }), 200

    except Exception as e:
        logger.error(f"Unexpected error: {str(e)}")
        return jsonify({'error': f'Unexpected error: {str(e)}'}), 500


@app.route('/', methods=['GET'])
def root():
    """Root endpoint"""
    return jsonify({
        'service': 'DS252 Image Processing Flask Server',
        'version': '1.0',
        'endpoints': {
            '/health': 'Health check endpoint',
            '/process-image': 'POST endpoint to process image from URL'
        }
    }), 200


if __name__ == '__main__':
    # The lab: app.run(host='0.0.0.0', port=5000, debug=False). Flask's dev server is threaded.
    port = int(os.environ.get('PORT', '5000'))
    host = os.environ.get('HOST', '127.0.0.1')
    logger.info(f"Starting Flask server on {host}:{port}")
    app.run(host=host, port=port, debug=False)
